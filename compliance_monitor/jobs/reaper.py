"""Recovery from the database: no execution stays ``running`` or ``queued`` forever.

Bounds (see README): a run whose worker died is abandoned within
``CM_HEARTBEAT_TIMEOUT_SECONDS + CM_SWEEP_SECONDS``; a queued run whose message was lost within
``CM_QUEUED_TIMEOUT_SECONDS + CM_SWEEP_SECONDS``. Each is re-queued once. Every step finishes
executions through ``lifecycle.finish``, whose conditional update makes concurrent sweepers safe.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db.models import Q

from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Status

log = structlog.get_logger(__name__)


def sweep(*, now: datetime) -> dict[str, int]:
    counts = {
        "timed_out": reap_past_deadline(now=now),
        "abandoned_running": reap_silent(now=now),
        "abandoned_queued": reap_unclaimed(now=now),
    }
    if any(counts.values()):
        log.warning("sweep_recovered_executions", **counts)
    return counts


def record_hard_timeout(execution_id: uuid.UUID, *, timeout: float, now: datetime) -> bool:
    """Called by the worker's parent process right after the pool killed the run."""
    result = Result(
        Status.TIMED_OUT,
        error_type="TimeLimitExceeded",
        error_message=f"killed at the hard time limit of {timeout:g} s",
    )
    return _finish(execution_id, result, now=now)


def reap_past_deadline(*, now: datetime) -> int:
    """Runs still 'running' after their hard limit plus the lease margin: the kill never came."""
    reaped = 0
    for execution in Execution.objects.filter(status=Status.RUNNING).select_related("job"):
        limit = execution.job.timeout_seconds + settings.CM_LEASE_MARGIN_SECONDS
        if execution.started_at and execution.started_at + timedelta(seconds=limit) < now:
            result = Result(
                Status.TIMED_OUT,
                error_type="TimeLimitExceeded",
                error_message=f"still running {limit:g} s after start; the time limit was not enforced",
            )
            reaped += _finish(execution.pk, result, now=now)
    return reaped


def reap_silent(*, now: datetime) -> int:
    cutoff = now - timedelta(seconds=settings.CM_HEARTBEAT_TIMEOUT_SECONDS)
    silent = Execution.objects.filter(status=Status.RUNNING, heartbeat_at__lt=cutoff)
    reaped = 0
    for execution_id, worker, heartbeat_at in silent.values_list("pk", "worker", "heartbeat_at"):
        result = Result(
            Status.ABANDONED,
            error_type="WorkerLost",
            error_message=f"no heartbeat from worker {worker} since {heartbeat_at:%Y-%m-%d %H:%M:%S}Z; presumed dead",
        )
        reaped += _finish(execution_id, result, now=now)
    return reaped


def reap_unclaimed(*, now: datetime) -> int:
    cutoff = now - timedelta(seconds=settings.CM_QUEUED_TIMEOUT_SECONDS)
    due_long_ago = Q(scheduled_for__isnull=True) | Q(scheduled_for__lt=cutoff)
    unclaimed = Execution.objects.filter(due_long_ago, status=Status.QUEUED, queued_at__lt=cutoff)
    reaped = 0
    for execution_id in unclaimed.values_list("pk", flat=True):
        result = Result(
            Status.ABANDONED,
            error_type="MessageLost",
            error_message=f"no worker picked it up within {settings.CM_QUEUED_TIMEOUT_SECONDS:g} s",
        )
        reaped += _finish(execution_id, result, now=now, from_status=Status.QUEUED)
    return reaped


def _finish(execution_id: uuid.UUID, result: Result, *, now: datetime, from_status: Status = Status.RUNNING) -> bool:
    finished = lifecycle.finish(execution_id, result, now=now, from_status=from_status)
    if finished:
        log.warning(
            "execution_reaped", execution_id=str(execution_id), status=result.status, reason=result.error_message
        )
    return finished
