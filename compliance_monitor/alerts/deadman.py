"""The dead-man's switch: a job that should have run but did not (beat or workers down) raises an alert."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction

from compliance_monitor.alerts.models import Alert, AlertEvent, AlertType, EventKind, Severity, State
from compliance_monitor.jobs import cron
from compliance_monitor.jobs.models import Execution, Job
from compliance_monitor.notifications import outbox

log = structlog.get_logger(__name__)
LOOK_BACK = timedelta(days=1)


def missed_fingerprint(job: Job) -> str:
    return f"{AlertType.SYSTEM_ERROR}:missed:{job.name}"


def detect_missed_runs(*, now: datetime) -> list[Alert]:
    """For each enabled job: its last cron slot older than the grace period must have a run."""
    grace = timedelta(seconds=settings.CM_MISSED_RUN_GRACE_SECONDS)
    raised = []
    for job in Job.objects.filter(enabled=True):
        slot = cron.latest_fire_time(job.cron, job.timezone, at=now - grace, within=LOOK_BACK)
        if slot is None or slot < job.created_at or _ran_since(job, slot):
            continue
        alert = _raise_missed(job, slot, now)
        if alert:
            raised.append(alert)
    return raised


def _ran_since(job: Job, slot: datetime) -> bool:
    # Any run at or after the slot proves the scheduler and workers were alive (a retry or a manual run too).
    return Execution.objects.filter(job=job, queued_at__gte=slot - timedelta(seconds=60)).exists()


def _raise_missed(job: Job, slot: datetime, now: datetime) -> Alert | None:
    fingerprint = missed_fingerprint(job)
    with transaction.atomic():
        if Alert.objects.filter(fingerprint=fingerprint).exclude(state=State.RESOLVED).exists():
            return None
        alert = Alert.objects.create(
            fingerprint=fingerprint,
            type=AlertType.SYSTEM_ERROR,
            severity=Severity.HIGH,
            job=job,
            connection=job.connection.name,
            title=f"Job {job.name} did not run at {slot:%Y-%m-%d %H:%M} UTC",
            message="Its scheduled run never started: is beat running, and are workers consuming the "
            f"'control' and '{job.queue}' queues? (checked {settings.CM_MISSED_RUN_GRACE_SECONDS:g} s after the slot)",
            raised_at=now,
            last_seen_at=now,
        )
        AlertEvent.objects.create(
            alert=alert, kind=EventKind.RAISED, at=now, by="system", detail={"missed_slot": slot.isoformat()}
        )
        outbox.enqueue(alert, "raised", now=now)
    log.error("job_run_missed", job=job.name, slot=slot.isoformat())
    return alert
