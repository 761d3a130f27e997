from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from compliance_monitor.jobs import reaper
from compliance_monitor.jobs.models import Execution, Status, Trigger
from tests.acceptance.helpers import make_job, trigger, wait_final
from tests.processes import start_worker, wait_until

pytestmark = pytest.mark.workers


def _sweep_until_recovered(execution: Execution, *, bound: float) -> Execution:
    """Act as beat's sweeper (every CM_SWEEP_SECONDS) until the execution is abandoned and re-queued."""

    def recovered() -> Execution | None:
        reaper.sweep(now=timezone.now())
        execution.refresh_from_db()
        return Execution.objects.filter(retry_of=execution).first() if execution.is_final else None

    return wait_until(recovered, timeout=bound, interval=settings.CM_SWEEP_SECONDS, what="recovery")


def test_kill_9_of_the_worker_mid_run_is_recovered_within_the_stated_bound(engine: object, process_logs: Path) -> None:
    job = make_job(checks=["diagnostics.sleep"], default_parameters={"seconds": 2}, queue="doomed")
    victim = start_worker("victim", process_logs, queues="doomed", concurrency=1)
    execution = trigger(job)
    wait_until(lambda: Execution.objects.filter(pk=execution.pk, status=Status.RUNNING).exists(), timeout=15)

    victim.kill9()
    killed_at = time.monotonic()
    bound = settings.CM_HEARTBEAT_TIMEOUT_SECONDS + settings.CM_SWEEP_SECONDS + 1  # +1: heartbeat granularity
    follow_up = _sweep_until_recovered(execution, bound=bound + 2)
    recovered_after = time.monotonic() - killed_at

    execution.refresh_from_db()
    assert execution.status == Status.ABANDONED and execution.error_type == "WorkerLost"
    assert recovered_after <= bound, f"recovered after {recovered_after:.1f}s, bound {bound}s"
    assert (follow_up.trigger, follow_up.context) == (Trigger.RETRY, {"recovered_from": str(execution.pk)})
    job.refresh_from_db()
    assert job.lease_owner is None

    restarted = start_worker("restarted", process_logs, queues="doomed", concurrency=1)
    try:
        assert wait_final(follow_up).status == Status.SUCCEEDED
    finally:
        restarted.stop()


def test_a_queued_run_whose_message_was_lost_is_re_queued_once_and_runs(engine: object) -> None:
    job = make_job()
    lost = Execution.objects.create(job=job, trigger=Trigger.MANUAL, queued_at=timezone.now())  # no message sent

    follow_up = _sweep_until_recovered(lost, bound=settings.CM_QUEUED_TIMEOUT_SECONDS + settings.CM_SWEEP_SECONDS + 1)

    lost.refresh_from_db()
    assert (lost.status, lost.error_type) == (Status.ABANDONED, "MessageLost")
    assert wait_final(follow_up).status == Status.SUCCEEDED
