from __future__ import annotations

import os
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from compliance_monitor.alerts.models import Alert
from compliance_monitor.checks.diagnostics import WAREHOUSE
from compliance_monitor.jobs import reaper
from compliance_monitor.jobs.models import Execution, Status, Trigger
from compliance_monitor.jobs.stats import percentile
from compliance_monitor.notifications.models import Delivery, Recipient
from tests.acceptance.helpers import make_job, trigger, wait_final
from tests.processes import start_beat, start_worker, wait_until

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
    # Abandoned once its last heartbeat (at most one interval before the kill) is older than the timeout, by the
    # next sweep: not before timeout - interval, not after timeout + one sweep period (+0.5 s for the sweep's own
    # queries). Shown failing with the reaper's cutoff at ``now`` instead of ``now - timeout`` (recovered at once).
    timeout, interval = settings.CM_HEARTBEAT_TIMEOUT_SECONDS, settings.CM_HEARTBEAT_SECONDS
    earliest, bound = timeout - interval, timeout + settings.CM_SWEEP_SECONDS + 0.5
    follow_up = _sweep_until_recovered(execution, bound=bound + 2)
    recovered_after = time.monotonic() - killed_at

    execution.refresh_from_db()
    assert execution.status == Status.ABANDONED and execution.error_type == "WorkerLost"
    assert earliest <= recovered_after <= bound, f"recovered after {recovered_after:.2f}s, not in [{earliest}, {bound}]"
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


KILLS = int(os.environ.get("CM_RECOVERY_KILLS", "2"))  # make chaos: 20


def test_kill_9_of_the_runs_worker_mid_run_again_and_again_every_run_is_recovered_by_beats_own_sweep(
    engine: object, process_logs: Path
) -> None:
    """No test calls the reaper here: beat's sweep (every CM_SWEEP_SECONDS) finds each killed run. Shown failing
    against a broken build: with the sweep's reaper step removed from ``jobs.tasks.sweep`` no run is recovered."""
    job = make_job(
        "chaos",
        checks=["diagnostics.sleep", "diagnostics.violations"],
        default_parameters={"seconds": 2, "count": 3},
        queue="doomed",
    )
    Recipient.objects.create(  # told at once of its medium alerts (new recipients get medium in an hourly digest)
        name="ops",
        email="ops@example.com",
        connection=job.connection,
        warehouses=[WAREHOUSE],
        medium_policy="immediate",
        low_policy="immediate",
    )
    beat = start_beat(process_logs)
    victim = start_worker("victim-0", process_logs, queues="doomed", concurrency=1)
    bound = settings.CM_HEARTBEAT_TIMEOUT_SECONDS + settings.CM_SWEEP_SECONDS + 1  # the stated bound, test timings
    recoveries: list[float] = []
    try:
        for kill in range(KILLS):
            execution = trigger(job)
            wait_until(_running(execution), timeout=30, what="the run to start")
            victim.kill9()
            killed_at = time.monotonic()
            victim = start_worker(f"victim-{kill + 1}", process_logs, queues="doomed", concurrency=1)
            follow_up = wait_until(_follow_up(execution), timeout=bound + 10, what="recovery")
            recoveries.append(time.monotonic() - killed_at)
            assert wait_final(follow_up, timeout=60).status == Status.SUCCEEDED
        wait_until(lambda: not _unsettled(job), timeout=30, what="every run's alerts reviewed and mailed")
    finally:
        victim.stop()
        beat.stop()

    runs = list(job.executions.exclude(started_at=None).order_by("started_at"))
    print(f"{KILLS} kills: recovered {len(recoveries)}/{KILLS}, p99 {percentile(sorted(recoveries), 0.99):.1f} s")
    assert Execution.objects.filter(job=job, status=Status.ABANDONED).count() == KILLS
    assert Execution.objects.filter(job=job, trigger=Trigger.RETRY, status=Status.SUCCEEDED).count() == KILLS
    assert all(a.finished_at is not None and a.finished_at <= b.started_at for a, b in pairwise(runs))  # no overlap
    assert max(recoveries) <= bound + 1, recoveries  # +1: the worker restart this test waits for
    open_alerts = Alert.objects.exclude(state="resolved").values("fingerprint").annotate(n=Count("pk"))
    assert all(row["n"] == 1 for row in open_alerts) and open_alerts.exists(), list(
        Alert.objects.values("fingerprint", "state", "type")
    )
    sent = Delivery.objects.values("alert", "recipient", "reason", "channel").annotate(n=Count("pk"))
    assert sent.exists() and all(row["n"] == 1 for row in sent)  # none lost, none twice


def _running(execution: Execution) -> Callable[[], bool]:
    return lambda: Execution.objects.filter(pk=execution.pk, status=Status.RUNNING).exists()


def _follow_up(execution: Execution) -> Callable[[], Execution | None]:
    return lambda: Execution.objects.filter(retry_of=execution).first()


def _unsettled(job: object) -> bool:
    unreviewed = Execution.objects.filter(job=job, status=Status.SUCCEEDED, alerts_reviewed_at__isnull=True)
    return unreviewed.exists() or Delivery.objects.filter(status="pending").exists()
