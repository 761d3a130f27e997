"""Performance alerts (alerts/performance.py): raised once while a run is slow, resolved by a normal finish.

Time is frozen: runs are claimed and finished at given times, and the heartbeat's watch is called with ``now``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from compliance_monitor.alerts import performance, raising
from compliance_monitor.alerts.models import Alert, AlertType, EventKind, Severity, State
from compliance_monitor.alerts.tests.conftest import T0
from compliance_monitor.jobs import durations, lifecycle, runner, services
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Job, Status

HISTORY = 10  # usual runs of 60 s: slow after 6 min (p95 + 5 min), near the 20-minute timeout after 16 min


@pytest.fixture
def job(db: None) -> Job:
    job = services.create_job(now=T0, name="nightly", cron="0 * * * *", checks=["diagnostics.pass"], max_retries=0)
    for i in range(HISTORY):
        started = T0 - timedelta(hours=HISTORY - i)
        Execution.objects.create(
            job=job,
            trigger="manual",
            status=Status.SUCCEEDED,
            queued_at=started,
            started_at=started,
            finished_at=started + timedelta(seconds=60),
            duration_seconds=60,
        )
    return job


@pytest.fixture
def start(job: Job) -> Callable[..., tuple[Execution, runner.SlowWatch]]:
    """Claim a run of the job at ``at``; return it with its heartbeat's watch (limits read at its start)."""

    def claim(at: datetime = T0, **fields: Any) -> tuple[Execution, runner.SlowWatch]:
        execution = Execution.objects.create(job=job, trigger="manual", queued_at=at, **fields)
        claimed = lifecycle.claim(execution.pk, worker="w/1", now=at).execution
        assert claimed is not None
        watch = runner.slow_watch(claimed)
        assert watch is not None
        return claimed, watch

    return claim


def finish(execution: Execution, status: Status, at: datetime) -> Execution:
    lifecycle.finish(execution.pk, Result(status, error_type="" if status == Status.SUCCEEDED else "Err"), now=at)
    raising.process_execution(execution.pk, now=at)
    return Execution.objects.get(pk=execution.pk)


def open_alert() -> Alert:
    return Alert.objects.get(type=AlertType.PERFORMANCE_ISSUE, state=State.OPEN)


def test_a_job_that_slows_down_raises_a_performance_alert_before_its_timeout_ends_the_run(start) -> None:
    """Must show (issue 16). Shown failing with ``execution_slow.connect`` removed from ``alerts/apps.py``."""
    execution, watch = start()
    for seconds in range(0, 20 * 60, 5):  # a beat every 5 s until the timeout
        watch(T0 + timedelta(seconds=seconds))
        if Alert.objects.exists():
            break

    alert = open_alert()
    assert alert.raised_at == T0 + timedelta(seconds=6 * 60 + 5)  # the first beat past 6 min
    assert Execution.objects.get(pk=execution.pk).status == Status.RUNNING  # while it runs
    assert (alert.severity, alert.execution_id, alert.fingerprint) == (
        Severity.MEDIUM,
        execution.pk,
        "performance_issue:nightly",
    )
    assert alert.title == "Job nightly is running slower than usual: 6 min 5 s so far"
    assert alert.message == (
        "Running for 6 min 5 s; usually done within 1 min (p95 of its last 10 runs), slow after 6 min; "
        "its timeout is 20 min. Resolves when a run of the job finishes normally again."
    )
    timed_out = finish(execution, Status.TIMED_OUT, T0 + timedelta(minutes=20))
    assert alert.raised_at < timed_out.finished_at
    assert open_alert().pk == alert.pk  # a timed-out run does not resolve it


def test_the_alert_is_raised_once_while_slow_and_rises_to_high_near_the_timeout(start) -> None:
    """Shown failing with ``SEVERITY[stage]`` replaced by ``Severity.MEDIUM`` in ``report_slow``."""
    execution, _ = start()
    limits = durations.limits(execution.job, before=T0)

    raised = performance.report_slow(execution.pk, durations.Stage.SLOWER_THAN_USUAL, 400, limits, now=T0)
    again = performance.report_slow(execution.pk, durations.Stage.SLOWER_THAN_USUAL, 405, limits, now=T0)
    near = performance.report_slow(execution.pk, durations.Stage.NEAR_TIMEOUT, 961, limits, now=T0)

    assert [(c.kind, c.notify) for c in (*raised, *again, *near)] == [
        (EventKind.RAISED, True),
        (EventKind.UPDATED, False),
        (EventKind.SEVERITY_CHANGED, True),
    ]
    alert = open_alert()
    assert (alert.severity, alert.title) == (
        Severity.HIGH,
        "Job nightly is near its timeout: running for 16 min 1 s of 20 min",
    )
    assert Alert.objects.count() == 1


def test_the_near_timeout_alert_notifies_the_administrators(start) -> None:
    """Shown failing with the ``outbox.enqueue`` call dropped from ``report_slow``."""
    from compliance_monitor.notifications.models import Delivery, Recipient

    Recipient.objects.create(name="admin", email="admin@example.com", is_administrator=True)
    Recipient.objects.create(name="manager", email="m@example.com", warehouses=["MATERIAL"])
    _, watch = start()

    watch(T0 + timedelta(minutes=17))

    assert open_alert().severity == Severity.HIGH
    assert list(Delivery.objects.values_list("recipient__name", "reason")) == [("admin", "raised")]


def test_the_next_run_that_finishes_within_its_limits_resolves_the_alert(start) -> None:
    """Shown failing with ``return resolve(...)`` replaced by ``return []`` in ``performance.review``."""
    slow, watch = start()
    watch(T0 + timedelta(minutes=7))
    finish(slow, Status.SUCCEEDED, T0 + timedelta(minutes=8))  # slow to the end: still open
    assert open_alert().occurrences == 1

    normal, _ = start(T0 + timedelta(hours=1))
    done = finish(normal, Status.SUCCEEDED, T0 + timedelta(hours=1, seconds=70))

    alert = Alert.objects.get()
    assert (alert.state, alert.resolution_notes) == (State.RESOLVED, f"resolved by run {done.pk}")


@pytest.mark.parametrize(
    ("status", "fields", "why"),
    [
        (Status.FAILED, {}, "a failed run did not finish normally"),
        (Status.SUCCEEDED, {"warehouses": ["MATERIAL"]}, "a run of some warehouses proves nothing of the whole"),
        (Status.SUCCEEDED, {"parameters": {"date": "2026-01-01"}}, "a look at the past changes no alert"),
    ],
)
def test_a_quick_run_that_is_not_a_normal_full_run_leaves_the_alert_open(start, status, fields, why) -> None:
    """Shown failing (the failed run) with ``if durations.is_full_success(execution) else []`` dropped from
    ``performance.review``, and (the look at the past) with ``current and`` dropped from ``raising._review``."""
    slow, watch = start()
    watch(T0 + timedelta(minutes=7))
    finish(slow, Status.TIMED_OUT, T0 + timedelta(minutes=20))

    quick, _ = start(T0 + timedelta(hours=1), **fields)
    finish(quick, status, T0 + timedelta(hours=1, seconds=30))

    assert open_alert().execution_id == slow.pk, why


def test_a_slow_run_the_heartbeat_could_not_report_raises_the_alert_at_its_review(start) -> None:
    """Shown failing with the raise at the end of ``performance.review`` replaced by ``return []``."""
    execution, _ = start()  # its watch never called: the signal was lost

    done = finish(execution, Status.SUCCEEDED, T0 + timedelta(minutes=10))

    alert = open_alert()
    assert (alert.severity, alert.execution_id, alert.title) == (
        Severity.MEDIUM,
        done.pk,
        "Job nightly ran slower than usual: 10 min",
    )
    assert alert.message.startswith("Took 10 min; usually done within 1 min")


def test_a_run_that_ended_before_its_report_arrived_raises_nothing(start) -> None:
    """Shown failing with ``execution.status != Status.RUNNING or`` dropped from ``report_slow``."""
    execution, _ = start()
    finish(execution, Status.SUCCEEDED, T0 + timedelta(seconds=50))
    limits = durations.limits(execution.job, before=T0)

    assert performance.report_slow(execution.pk, durations.Stage.SLOWER_THAN_USUAL, 400, limits, now=T0) == []
    assert not Alert.objects.exists()


def test_a_late_review_of_an_earlier_normal_run_leaves_a_later_slow_runs_alert_open(start) -> None:
    """Run A finishes normally but its review is late (its message lost, the sweep's grace); run B, started after it,
    is slow and raises the alert; A's review then must not resolve what B raised. Shown failing without
    ``_raised_by_a_later_run`` in ``performance.review`` (A's review resolves B's alert)."""
    earlier, _ = start(T0)
    lifecycle.finish(earlier.pk, Result(Status.SUCCEEDED), now=T0 + timedelta(seconds=70))  # not reviewed yet
    later, watch = start(T0 + timedelta(hours=1))
    watch(T0 + timedelta(hours=1, minutes=7))
    assert open_alert().last_execution_id == later.pk

    raising.process_execution(earlier.pk, now=T0 + timedelta(hours=1, minutes=8))

    assert open_alert().last_execution_id == later.pk
