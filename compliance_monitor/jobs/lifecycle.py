"""State transitions of an execution, each one a conditional UPDATE checked by its row count.

Whoever wins the UPDATE owns the transition; a loser (a second worker, a reaper in another process,
a late broker message) sees a row count of 0 and backs off. This works the same on SQLite and
PostgreSQL and needs no locks held across a run.
"""

from __future__ import annotations

import traceback as tb
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from compliance_monitor.checks import exceptions
from compliance_monitor.checks.base import CheckOutcome
from compliance_monitor.checks.results import store_outcomes
from compliance_monitor.jobs import changes, dispatch, scheduler
from compliance_monitor.jobs.models import FAILURE_STATUSES, LIVE_STATUSES, Execution, Job, Status, Trigger
from compliance_monitor.jobs.signals import execution_finished

log = structlog.get_logger(__name__)
SYSTEM = "system"


@dataclass(frozen=True)
class Claim:
    """What a worker got when it tried to start an execution."""

    execution: Execution | None  # set when the worker won and must run it
    skipped_for: uuid.UUID | None = None  # set when the job was busy


def lease_expiry(job: Job, now: datetime) -> datetime:
    return now + timedelta(seconds=job.timeout_seconds + settings.CM_LEASE_MARGIN_SECONDS)


def claim(execution_id: uuid.UUID, *, worker: str, now: datetime) -> Claim:
    """Take the job's lease and mark the execution running — or record it skipped if the job is busy."""
    execution = Execution.objects.select_related("job").filter(pk=execution_id).first()
    if execution is None or execution.status != Status.QUEUED:
        return Claim(None)  # finished, cancelled or abandoned meanwhile: the message is stale
    job = execution.job
    with transaction.atomic():
        if not _take_lease(job, execution_id, now):
            holder = Job.objects.values_list("lease_owner", flat=True).get(pk=job.pk)
            if _mark_skipped(execution_id, holder, worker, now) and execution.trigger == Trigger.CHANGE:
                changes.pend_again(execution, now=now)  # its scopes wait for the run after the one holding the job
            return Claim(None, skipped_for=holder)
        started = Execution.objects.filter(pk=execution_id, status=Status.QUEUED).update(
            status=Status.RUNNING, started_at=now, heartbeat_at=now, worker=worker
        )
        if not started:
            release_lease(job.pk, execution_id)
            return Claim(None)
    execution.refresh_from_db()
    return Claim(execution)


def _take_lease(job: Job, execution_id: uuid.UUID, now: datetime) -> bool:
    free = Q(lease_owner__isnull=True) | Q(lease_expires_at__lt=now) | Q(lease_owner=execution_id)
    taken = Job.objects.filter(free, pk=job.pk).update(
        lease_owner=execution_id, lease_expires_at=lease_expiry(job, now)
    )
    return taken == 1


def release_lease(job_id: int, execution_id: uuid.UUID) -> None:
    Job.objects.filter(pk=job_id, lease_owner=execution_id).update(lease_owner=None, lease_expires_at=None)


def _mark_skipped(execution_id: uuid.UUID, holder: uuid.UUID | None, worker: str, now: datetime) -> bool:
    # Nothing to review: its alerts are settled the moment it is skipped.
    skipped = Execution.objects.filter(pk=execution_id, status=Status.QUEUED).update(
        status=Status.SKIPPED,
        finished_at=now,
        blocked_by=holder,
        duration_seconds=0,
        worker=worker,
        alerts_reviewed_at=now,
    )
    log.info("execution_skipped", execution_id=str(execution_id), blocked_by=str(holder))
    return skipped == 1


def mark_reviewed(execution_id: uuid.UUID, *, now: datetime) -> bool:
    """Record that a final run's alerts are settled (the alert review calls this in its transaction).

    Once only: False when it was marked before (or is still live, which nothing should ask).
    """
    reviewed = (
        Execution.objects.filter(pk=execution_id, alerts_reviewed_at__isnull=True)
        .exclude(status__in=LIVE_STATUSES)
        .update(alerts_reviewed_at=now)
    )
    return reviewed == 1


@dataclass(frozen=True)
class Result:
    """How a run ended, as the runner or the reaper saw it."""

    status: Status
    outcomes: tuple[CheckOutcome, ...] = ()
    error_type: str = ""
    error_message: str = ""
    error_traceback: str = ""

    @classmethod
    def from_exception(cls, status: Status, exc: BaseException, outcomes: list[CheckOutcome] | None = None) -> Result:
        return cls(
            status,
            outcomes=tuple(outcomes or ()),
            error_type=type(exc).__name__,
            error_message=str(exc) or type(exc).__name__,
            error_traceback="".join(tb.format_exception(exc)),
        )


def finish(execution_id: uuid.UUID, result: Result, *, now: datetime, from_status: Status = Status.RUNNING) -> bool:
    """Record the final status, counts and job counters in one transaction; release the lease.

    Returns False (and changes nothing) when another process already finished this execution.
    """
    with transaction.atomic():
        execution = Execution.objects.select_for_update().select_related("job").filter(pk=execution_id).first()
        if execution is None or execution.status != from_status:
            return False
        _record_result(execution, result, now)
        job = Job.objects.select_for_update().get(pk=execution.job_id)
        _update_job_counters(job, execution, now)
        release_lease(job.pk, execution.pk)
        _maybe_retry(job, execution, now)
        changes.after_run(job, execution, now=now)
        finished_id, status = execution.pk, execution.status
        transaction.on_commit(lambda: execution_finished.send(Execution, execution_id=finished_id, status=status))
    _log_finished(execution)
    return True


def _record_result(execution: Execution, result: Result, now: datetime) -> None:
    # Violations an operator accepted are listed, never counted: set aside before anything counts.
    read_at = execution.started_at or now
    outcomes = exceptions.set_aside(result.outcomes, connection=execution.job.connection.name, at=read_at)
    execution.status = result.status
    execution.finished_at = now
    if result.status == Status.CANCELLED:  # nothing to review: its alerts are settled the moment it ends
        execution.alerts_reviewed_at = now
    if execution.started_at:
        execution.duration_seconds = (now - execution.started_at).total_seconds()
    execution.error_type = result.error_type[:200]
    execution.error_message = result.error_message
    execution.error_traceback = result.error_traceback
    execution.total_reports = len(outcomes)
    execution.successful_reports = sum(1 for outcome in outcomes if outcome.is_success)
    execution.violation_reports = sum(1 for outcome in outcomes if outcome.violations)
    execution.save()
    if outcomes:
        store_outcomes(execution, outcomes, current=execution.looks_at_now)


def _update_job_counters(job: Job, execution: Execution, now: datetime) -> None:
    if execution.status == Status.CANCELLED:
        return
    failed = execution.status in (*FAILURE_STATUSES, Status.ABANDONED)
    job.execution_count += 1
    job.failure_count += failed
    if execution.trigger != Trigger.CHANGE:  # bookings during an ERP outage must not disable the job in minutes
        job.consecutive_failures = job.consecutive_failures + 1 if failed else 0
    job.last_run_at = execution.started_at or now
    job.last_status = execution.status
    if failed:
        job.last_failure_at = now
        job.last_error = f"{execution.error_type}: {execution.error_message}"[:2000]
    else:
        job.last_success_at = now
    if (
        failed
        and execution.trigger != Trigger.CHANGE
        and job.enabled
        and job.auto_disable_on_failures
        and (job.consecutive_failures >= job.max_consecutive_failures)
    ):
        _auto_disable(job, now)
    job.save()


def _auto_disable(job: Job, now: datetime) -> None:
    job.enabled = False
    job.disabled_at = now
    job.disabled_by = SYSTEM
    job.disabled_reason = (
        f"auto-disabled after {job.consecutive_failures} consecutive failures "
        f"(limit {job.max_consecutive_failures}); enable it again once the cause is fixed"
    )
    scheduler.sync(job)
    log.warning("job_auto_disabled", job=job.name, consecutive_failures=job.consecutive_failures)


def _maybe_retry(job: Job, execution: Execution, now: datetime) -> None:
    """Failed runs retry per the job's policy; an abandoned run is re-queued once. A change run is never retried:
    its scopes wait again, for the next change run or a successful full run (jobs/changes.py)."""
    if execution.trigger == Trigger.CHANGE:
        return
    if not job.enabled and execution.trigger != Trigger.EMERGENCY:
        return
    if execution.status == Status.FAILED and execution.attempt <= job.max_retries:
        _queue_follow_up(job, execution, now=now, when=now + job.retry_delay(execution.attempt), recovered=False)
    elif execution.status == Status.ABANDONED and "recovered_from" not in execution.context:
        _queue_follow_up(job, execution, now=now, when=now, recovered=True)


def _queue_follow_up(job: Job, execution: Execution, *, now: datetime, when: datetime, recovered: bool) -> None:
    follow_up = Execution.objects.create(
        job=job,
        trigger=Trigger.RETRY,
        triggered_by=execution.triggered_by,
        reason=f"{'recovery' if recovered else 'retry'} of {execution.pk}",
        parameters=execution.parameters,
        warehouses=execution.warehouses,
        checks=execution.checks,
        queued_at=now,
        scheduled_for=when,
        attempt=execution.attempt + 1,
        retry_of=execution,
        context={"recovered_from": str(execution.pk)} if recovered else {},
    )
    dispatch.send_after_commit(follow_up, job, eta=when)
    log.info("execution_follow_up_queued", follow_up=str(follow_up.pk), recovered=recovered, at=when.isoformat())


def _log_finished(execution: Execution) -> None:
    log.info(
        "execution_finished",
        job=execution.job.name,
        execution_id=str(execution.pk),
        status=execution.status,
        duration_seconds=execution.duration_seconds,
        total_reports=execution.total_reports,
        violation_reports=execution.violation_reports,
        error_type=execution.error_type or None,
        error_message=execution.error_message or None,
    )
