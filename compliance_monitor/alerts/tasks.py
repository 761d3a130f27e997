"""Alert processing as its own task after each run; a sweep catches runs whose message was lost."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from celery import shared_task
from django.utils import timezone

from compliance_monitor.jobs.models import LIVE_STATUSES, Execution

log = structlog.get_logger(__name__)
REVIEW_WINDOW = timedelta(days=1)  # how far back the sweep looks for runs nobody reviewed


def queue_alert_processing(sender: Any, execution_id: uuid.UUID, **_: Any) -> None:
    """``execution_finished`` receiver: hand over to a task; never let alerting break the engine."""
    try:
        process_execution.apply_async(args=(str(execution_id),), queue="control", retry=False)
    except Exception as exc:  # noqa: BLE001 — the sweep below will review it
        log.error("alert_processing_not_queued", execution_id=str(execution_id), error=str(exc))


@shared_task(bind=True, name="compliance_monitor.alerts.tasks.process_execution", max_retries=5, default_retry_delay=15)
def process_execution(self: Any, execution_id: str) -> int:
    from compliance_monitor.alerts import raising

    try:
        return len(raising.process_execution(uuid.UUID(execution_id), now=timezone.now()))
    except Exception as exc:
        log.exception("alert_processing_failed", execution_id=execution_id)
        raise self.retry(exc=exc) from exc


@shared_task(name="compliance_monitor.alerts.tasks.review_missed")
def review_missed() -> int:
    return review_unreviewed(now=timezone.now())


def review_unreviewed(*, now: datetime) -> int:
    from django.conf import settings

    from compliance_monitor.alerts import raising

    grace = timedelta(seconds=settings.CM_REVIEW_GRACE_SECONDS)  # the task has its chance first
    missed = (
        Execution.objects.filter(
            finished_at__gte=now - REVIEW_WINDOW, finished_at__lt=now - grace, alert_review__isnull=True
        )
        .exclude(status__in=LIVE_STATUSES)
        .order_by("finished_at")
        .values_list("pk", flat=True)
    )
    return sum(len(raising.process_execution(pk, now=now)) for pk in missed)


@shared_task(name="compliance_monitor.alerts.tasks.escalate")
def escalate() -> int:
    from compliance_monitor.alerts.escalation import escalate_due

    return escalate_due(now=timezone.now())


@shared_task(name="compliance_monitor.alerts.tasks.detect_missed_runs")
def detect_missed_runs() -> int:
    from compliance_monitor.alerts.deadman import detect_missed_runs as detect

    return len(detect(now=timezone.now()))


@shared_task(name="compliance_monitor.alerts.tasks.cleanup_resolved")
def cleanup_resolved() -> int:
    from django.conf import settings

    from compliance_monitor.alerts.services import cleanup

    return cleanup(older_than_days=settings.CM_ALERT_RETENTION_DAYS, now=timezone.now())
