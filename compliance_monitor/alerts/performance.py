"""Performance alerts: a run slower than its job's usual, or near its timeout, raises one while it still runs.

The run's heartbeat sends ``execution_slow`` when the run passes one of its limits (``jobs/durations.py``): slower
than usual raises a medium alert, near its timeout a high one (or raises the open one to high). One open alert
per job; a later slow run updates it. The job's next run that finishes normally — a successful full run within
its limits — resolves it, at that run's review. A slow run the heartbeat could not report raises it at its review.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog
from django.db import transaction

from compliance_monitor.alerts.changes import Change, is_open, raise_or_update, resolve
from compliance_monitor.alerts.models import Alert, AlertType, Severity, State
from compliance_monitor.jobs import durations
from compliance_monitor.jobs.durations import Limits, Stage, duration_text
from compliance_monitor.jobs.models import Execution, Job, Status
from compliance_monitor.notifications import outbox

log = structlog.get_logger(__name__)
SEVERITY = {Stage.SLOWER_THAN_USUAL: Severity.MEDIUM, Stage.NEAR_TIMEOUT: Severity.HIGH}


def performance_fingerprint(job: Job) -> str:
    return f"{AlertType.PERFORMANCE_ISSUE}:{job.name}"


def on_execution_slow(
    sender: Any, execution_id: uuid.UUID, stage: Stage, elapsed_seconds: float, limits: Limits, now: datetime, **_: Any
) -> None:
    """``execution_slow`` receiver (in the run's heartbeat thread): an error is the heartbeat's to log and retry."""
    report_slow(execution_id, stage, elapsed_seconds, limits, now=now)


def report_slow(
    execution_id: uuid.UUID, stage: Stage, elapsed: float, limits: Limits, *, now: datetime
) -> list[Change]:
    """Raise (or update) the job's performance alert for a run still running; nothing once it ended, nor for a
    run that does not look at "now" (it changes no alert)."""
    execution = Execution.objects.select_related("job__connection").filter(pk=execution_id).first()
    if execution is None or execution.status != Status.RUNNING or not execution.looks_at_now:
        return []
    fingerprint = performance_fingerprint(execution.job)
    with transaction.atomic():
        facts = _facts(execution.job, stage, elapsed, limits, running=True)
        changes = raise_or_update(fingerprint, SEVERITY[stage], facts, execution, now)
        for change in changes:  # the deliveries (and digest items) commit with the alert change (outbox)
            if change.notify:
                outbox.enqueue(change.alert, change.kind, now=now)
            else:  # seen again while slow: told in digests only, as a run's review does
                outbox.note(change.alert, change.kind, now=now)
    for change in changes:
        log.info(
            "alert_changed",
            alert=change.alert.pk,
            kind=change.kind,
            fingerprint=fingerprint,
            notify=change.notify,
            execution_id=str(execution_id),
        )
    return changes


def review(execution: Execution, now: datetime) -> list[Change]:
    """At a final run's review (in its transaction): a normal finish resolves, a slow one unreported raises."""
    if execution.status not in durations.TIMED or execution.is_partial or execution.started_at is None:
        return []
    if execution.duration_seconds is None:
        return []
    limits = durations.limits(execution.job, before=execution.started_at)
    stage = limits.stage(execution.duration_seconds)
    fingerprint = performance_fingerprint(execution.job)
    if stage is None:
        normal = durations.is_full_success(execution) and not _raised_by_a_later_run(fingerprint, execution)
        return resolve(fingerprint, execution, now) if normal else []
    if is_open(fingerprint):
        return []  # reported while it ran (or by an earlier slow run): it stays open
    facts = _facts(execution.job, stage, execution.duration_seconds, limits, running=False)
    return raise_or_update(fingerprint, SEVERITY[stage], facts, execution, now)


def _raised_by_a_later_run(fingerprint: str, execution: Execution) -> bool:
    """The open alert was last seen by a run that started after this one (a late review, e.g. after a broker
    outage): that run's slowness is not this one's to resolve."""
    open_alert = Alert.objects.filter(fingerprint=fingerprint).exclude(state=State.RESOLVED)
    latest = open_alert.values_list("last_execution__started_at", flat=True).first()
    return latest is not None and execution.started_at is not None and latest > execution.started_at


def _facts(job: Job, stage: Stage, elapsed: float, limits: Limits, *, running: bool) -> dict[str, Any]:
    took = duration_text(elapsed)
    if not running:
        title = f"Job {job.name} ran slower than usual: {took}"
    elif stage == Stage.NEAR_TIMEOUT:
        title = f"Job {job.name} is near its timeout: running for {took} of {duration_text(limits.timeout_seconds)}"
    else:
        title = f"Job {job.name} is running slower than usual: {took} so far"
    return {
        "type": AlertType.PERFORMANCE_ISSUE,
        "title": title,
        "connection": job.connection.name,
        "message": _message(elapsed, limits, running=running),
    }


def _message(elapsed: float, limits: Limits, *, running: bool) -> str:
    took = f"{'Running for' if running else 'Took'} {duration_text(elapsed)}"
    return f"{took}; {limits.describe()}. Resolves when a run of the job finishes normally again."
