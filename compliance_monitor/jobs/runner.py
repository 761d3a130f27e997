"""Running one execution inside a worker process: claim, heartbeat, checks, finish."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

import structlog
from billiard.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from compliance_monitor.checks import registry
from compliance_monitor.checks.base import (
    CheckContext,
    CheckOutcome,
    attach_outcomes,
    finite_or_incomplete,
    partial_outcomes,
)
from compliance_monitor.jobs import culprits, durations, lifecycle
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Status, Trigger
from compliance_monitor.jobs.signals import execution_slow

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]


def run(execution_id: uuid.UUID, *, worker: str, clock: Clock = timezone.now) -> Status | None:
    """Run an execution to its end; returns its final status, or None when this worker did not run it."""
    structlog.contextvars.bind_contextvars(execution_id=str(execution_id))
    try:
        claim = lifecycle.claim(execution_id, worker=worker, now=clock())
        if claim.execution is None:
            return Status.SKIPPED if claim.skipped_for else None
        return _run_claimed(claim.execution, clock)
    finally:
        structlog.contextvars.clear_contextvars()


def _run_claimed(execution: Execution, clock: Clock) -> Status:
    structlog.contextvars.bind_contextvars(job=execution.job.name)
    log.info("execution_started", trigger=execution.trigger, attempt=execution.attempt, worker=execution.worker)
    with heartbeat(execution.pk, interval=settings.CM_HEARTBEAT_SECONDS, on_beat=slow_watch(execution)):
        result = _evaluate(execution, clock)
    try:
        if not lifecycle.finish(execution.pk, result, now=clock()):
            # Cancelled (or reaped) while it ran: what it found is discarded, the final status stands.
            log.info("execution_result_discarded", found_status=result.status)
    except Exception as exc:
        log.exception("execution_finish_failed")
        result = Result.from_exception(Status.FAILED, exc)
        lifecycle.finish(execution.pk, result, now=clock())
    return result.status


def _evaluate(execution: Execution, clock: Clock) -> Result:
    try:
        outcomes = [finite_or_incomplete(outcome) for outcome in run_checks(execution, clock())]
    except SoftTimeLimitExceeded as exc:
        return Result.from_exception(Status.TIMED_OUT, exc, partial_outcomes(exc))
    except Exception as exc:  # any check error fails the run, with its traceback and what was found before
        log.exception("execution_check_failed", error_type=type(exc).__name__)
        return Result.from_exception(Status.FAILED, exc, partial_outcomes(exc))
    incomplete = [outcome for outcome in outcomes if outcome.error]
    if incomplete:
        log.warning("execution_incomplete_scopes", scopes=[o.warehouse for o in incomplete])
        return Result(Status.FAILED, tuple(outcomes), INCOMPLETE, incomplete_message(incomplete, outcomes))
    return Result(Status.SUCCEEDED, tuple(outcomes))


INCOMPLETE = "IncompleteRead"


def incomplete_message(incomplete: list[CheckOutcome], outcomes: list[CheckOutcome]) -> str:
    """Names every scope that was not read whole, and why: the job-failure alert says this."""
    scopes = ", ".join(o.warehouse for o in incomplete)
    reasons = "; ".join(o.error for o in incomplete)
    return f"{len(incomplete)} of {len(outcomes)} scopes not read whole ({scopes}) — {reasons}"


class ConnectionDisabledError(Exception):
    """The job's connection is switched off: nothing is read, and the run says why."""


def run_checks(execution: Execution, now: datetime) -> list[CheckOutcome]:
    job = execution.job
    context = CheckContext(
        execution_id=execution.pk,
        job_name=job.name,
        now=now,
        parameters={**job.default_parameters, **execution.parameters},
        warehouses=tuple(execution.warehouses or job.warehouses),
        connection=job.connection,
        skip_unknown_scopes=execution.trigger == Trigger.CHANGE,
    )
    if not job.connection.enabled:
        raise ConnectionDisabledError(f"ERP connection {job.connection.name!r} is disabled: enable it to run this job")
    outcomes: list[CheckOutcome] = []
    for name in execution.checks or job.checks:
        try:
            check_outcomes = registry.get(name).run(context)
        except BaseException as exc:
            attach_outcomes(exc, outcomes)  # earlier checks' findings are kept with the failed run
            raise
        log.info(
            "check_finished",
            check=name,
            reports=len(check_outcomes),
            violations=sum(len(outcome.violations) for outcome in check_outcomes),
        )
        outcomes.extend(replace(outcome, connection=job.connection.name) for outcome in check_outcomes)
    if execution.trigger == Trigger.CHANGE:
        return culprits.blame(outcomes, execution.context.get("changes") or [])
    return outcomes


@dataclass
class SlowWatch:
    """Tells whoever listens (the alerts), from the heartbeat, when the run passes one of its duration limits.

    The limits are computed once, when the run starts; each beat only compares. Each limit is reported once —
    again on the next beat only when a receiver failed.
    """

    execution_id: uuid.UUID
    job_id: int
    started_at: datetime
    limits: durations.Limits
    reported: durations.Stage | None = None

    def __call__(self, now: datetime) -> None:
        elapsed = (now - self.started_at).total_seconds()
        stage = self.limits.stage(elapsed)
        if stage is None or (self.reported is not None and stage <= self.reported):
            return
        responses = execution_slow.send_robust(
            Execution,
            execution_id=self.execution_id,
            job_id=self.job_id,
            stage=stage,
            elapsed_seconds=elapsed,
            limits=self.limits,
            now=now,
        )
        failed = [str(response) for _, response in responses if isinstance(response, Exception)]
        if failed:
            log.warning("slow_run_not_reported", execution_id=str(self.execution_id), stage=stage.name, errors=failed)
            return
        self.reported = stage
        log.warning(
            "execution_slow",
            execution_id=str(self.execution_id),
            stage=stage.name,
            elapsed_seconds=round(elapsed, 1),
            p95_seconds=self.limits.p95_seconds,
        )


def slow_watch(execution: Execution) -> SlowWatch | None:
    """The run's watch, its limits read once now; None (no watching) when even that failed."""
    if execution.started_at is None:
        return None
    try:
        limits = durations.limits(execution.job, before=execution.started_at)
    except Exception as exc:  # noqa: BLE001 — a run is never failed for its duration alerts
        log.warning("slow_limits_not_read", error=str(exc))
        return None
    return SlowWatch(execution.pk, execution.job_id, execution.started_at, limits)


@contextmanager
def heartbeat(
    execution_id: uuid.UUID, *, interval: float, on_beat: Callable[[datetime], None] | None = None
) -> Iterator[None]:
    """Prove the run is alive every ``interval`` seconds from a side thread, until the block ends; after each
    beat, ``on_beat(now)`` (the slow-run watch), whose errors are logged and never stop the beating.

    The thread dies with the process, so a killed worker stops beating and the reaper notices.
    """
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                now = timezone.now()
                try:
                    Execution.objects.filter(pk=execution_id, status=Status.RUNNING).update(heartbeat_at=now)
                except Exception as exc:  # noqa: BLE001 — a missed beat is survivable: the next one reconnects
                    log.warning("heartbeat_failed", error=str(exc))
                    connection.close()  # a database restart left it broken; beating stops only with the run
                    continue
                _after_beat(on_beat, now)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{execution_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)
        close_old_connections()


def _after_beat(on_beat: Callable[[datetime], None] | None, now: datetime) -> None:
    if on_beat is None:
        return
    try:
        on_beat(now)
    except Exception as exc:  # noqa: BLE001 — the heartbeat matters more than anything it carries
        log.warning("heartbeat_watch_failed", error=str(exc))
