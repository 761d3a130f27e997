"""Sending the broker message that asks a worker to run an execution.

The message is only a hint: it carries the execution id, and is sent after the transaction that
created the row commits. If it is lost, the reaper finds the row still ``queued`` and recovers it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from django.db import transaction

if TYPE_CHECKING:
    from compliance_monitor.jobs.models import Execution, Job

log = structlog.get_logger(__name__)
# A short retry rides out a broker blip without blocking the caller (often a web request) for long.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def send_after_commit(execution: Execution, job: Job, *, eta: datetime | None = None) -> None:
    execution_id = str(execution.pk)
    soft, hard, queue = job.soft_time_limit, float(job.timeout_seconds), job.queue
    transaction.on_commit(lambda: send(execution_id, queue=queue, soft_time_limit=soft, time_limit=hard, eta=eta))


def send(
    execution_id: str, *, queue: str, soft_time_limit: float, time_limit: float, eta: datetime | None = None
) -> bool:
    """Publish the run message; a broker outage is logged, not raised — the reaper re-sends later."""
    from compliance_monitor.jobs.tasks import run_execution

    # Celery takes float limits; its type stubs say int, hence the plain dict.
    options: dict[str, Any] = {"queue": queue, "soft_time_limit": soft_time_limit, "time_limit": time_limit}
    if eta is not None:
        options["eta"] = eta
    try:
        # The task id is the execution id: one id to follow a run through worker and broker logs.
        run_execution.apply_async(
            args=(execution_id,), task_id=execution_id, retry=True, retry_policy=PUBLISH_RETRY, **options
        )
    except Exception as exc:  # noqa: BLE001 — any broker error: the row stays queued for the reaper
        log.error("broker_publish_failed", execution_id=execution_id, error=str(exc), error_type=type(exc).__name__)
        return False
    return True


def send_flush(job_id: int | None = None, *, countdown: float = 0.0) -> None:
    """Ask a control worker to queue the change runs that are due (jobs/changes.py), now or after ``countdown`` s."""
    from compliance_monitor.jobs.tasks import flush_changes

    try:
        flush_changes.apply_async(kwargs={"job_id": job_id}, countdown=countdown, queue="control", retry=False)
    except Exception as exc:  # noqa: BLE001 — the periodic poll flushes as well: nothing waits for ever
        log.warning("broker_publish_failed", task="flush_changes", error=str(exc), error_type=type(exc).__name__)


def send_feed_read(feed_id: int) -> bool:
    """Ask a control worker to read a change feed now (a hook called); if the broker is down, the fallback poll
    reads it within ``CM_HOOK_FALLBACK_SECONDS``."""
    from compliance_monitor.jobs.tasks import read_change_feed

    try:
        read_change_feed.apply_async(args=(feed_id,), queue="control", retry=False)
    except Exception as exc:  # noqa: BLE001 — the fallback poll reads the feed: nothing is lost
        log.warning("broker_publish_failed", task="read_change_feed", error=str(exc), error_type=type(exc).__name__)
        return False
    return True
