"""Celery tasks: thin wrappers that hand over to services with the current time."""

from __future__ import annotations

import os
import uuid
from typing import Any

import structlog
from celery import Task, shared_task
from celery.worker.request import Request
from django.conf import settings
from django.utils import timezone

from compliance_monitor.jobs import changes, conflict_cache, feeds, reaper, retention, runner, services
from compliance_monitor.jobs.models import Beacon

log = structlog.get_logger(__name__)


class ExecutionRequest(Request):
    """Runs in the worker's parent process, which survives the pool child it had to kill."""

    def on_timeout(self, soft: bool, timeout: float) -> None:
        super().on_timeout(soft, timeout)
        if not soft:
            execution_id = uuid.UUID(self.args[0])
            reaper.record_hard_timeout(execution_id, timeout=timeout, now=timezone.now())


class ExecutionTask(Task):  # type: ignore[type-arg]
    Request = "compliance_monitor.jobs.tasks:ExecutionRequest"


@shared_task(bind=True, base=ExecutionTask, name="compliance_monitor.jobs.tasks.run_execution")
def run_execution(self: ExecutionTask, execution_id: str) -> str | None:
    worker = f"{self.request.hostname}/{os.getpid()}"
    status = runner.run(uuid.UUID(execution_id), worker=worker)
    return str(status) if status else None


@shared_task(name="compliance_monitor.jobs.tasks.scheduled_tick")
def scheduled_tick(job_id: int) -> str | None:
    execution = services.trigger_scheduled(job_id, now=timezone.now())
    return str(execution.pk) if execution else None


@shared_task(name="compliance_monitor.jobs.tasks.sweep")
def sweep() -> dict[str, Any]:
    now = timezone.now()
    # Beat sent this and a control worker runs it: readiness probes read this beacon.
    Beacon.objects.update_or_create(name="sweep", defaults={"seen_at": now})
    # And a ping through the runs queue: a run worker answering it proves run workers are alive too.
    try:
        ping_runs.apply_async(queue="runs", expires=settings.CM_SWEEP_SECONDS * 4, retry=False)
    except Exception as exc:  # noqa: BLE001 — a broker outage must not stop the reaping below
        log.warning("run_worker_ping_not_sent", error=str(exc))
    return reaper.sweep(now=now)


@shared_task(name="compliance_monitor.jobs.tasks.ping_runs")
def ping_runs() -> None:
    Beacon.objects.update_or_create(name="runs", defaults={"seen_at": timezone.now()})


@shared_task(name="compliance_monitor.jobs.tasks.housekeeping")
def housekeeping() -> int:
    return retention.delete_old_executions(now=timezone.now())


@shared_task(name="compliance_monitor.jobs.tasks.refresh_conflicts")
def refresh_conflicts() -> bool:
    """Recompute schedule conflicts though no schedule changed: run windows follow the runs, the horizon the clock."""
    return conflict_cache.refresh(now=timezone.now(), force=True)


@shared_task(name="compliance_monitor.jobs.tasks.poll_change_feeds")
def poll_change_feeds() -> int:
    """Read the polled change feeds, then queue the change runs that are due (a safety net for lost flushes)."""
    now = timezone.now()
    received = feeds.poll_all(now=now)
    changes.flush(now=now)
    return received


@shared_task(name="compliance_monitor.jobs.tasks.read_change_feed")
def read_change_feed(feed_id: int) -> int:
    """A hook called: read its feed from the cursor (the web request only checked and acknowledged the call)."""
    return feeds.read(feed_id, now=timezone.now())


@shared_task(name="compliance_monitor.jobs.tasks.flush_changes")
def flush_changes(job_id: int | None = None) -> list[str]:
    queued = changes.flush(now=timezone.now(), job_ids=None if job_id is None else [job_id])
    return [str(execution.pk) for execution in queued]
