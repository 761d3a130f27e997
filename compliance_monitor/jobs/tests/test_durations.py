"""A job's usual duration and its limits (jobs/durations.py); the heartbeat's slow-run watch (jobs/runner.py).

Time is an argument everywhere: the runs below are rows with their times, the watch is called with ``now``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from compliance_monitor.checks.models import CheckResult, ResultStatus
from compliance_monitor.jobs import durations, runner
from compliance_monitor.jobs.durations import Stage
from compliance_monitor.jobs.models import Execution, Job, Status, Trigger
from compliance_monitor.jobs.signals import execution_slow
from compliance_monitor.jobs.tests.conftest import NOW

MIN = 60.0


def job_with(**settings: Any) -> Job:
    return Job(name="j", timeout_seconds=settings.pop("timeout_seconds", 3600), **settings)


def test_a_run_is_slow_past_twice_the_p95_or_the_p95_plus_five_minutes_whichever_is_later() -> None:
    """Shown failing with ``max`` replaced by ``min`` in ``limits_from``."""
    job = job_with(slow_run_timeout_percent=0)

    long_runs = durations.limits_from(job, [10 * MIN] * 30)  # p95 10 min: 2 × p95 (20 min) is later
    short_runs = durations.limits_from(job, [1 * MIN] * 30)  # p95 1 min: p95 + 5 min (6 min) is later

    assert (long_runs.p95_seconds, long_runs.slow_after) == (10 * MIN, 20 * MIN)
    assert (short_runs.p95_seconds, short_runs.slow_after) == (1 * MIN, 6 * MIN)
    assert long_runs.stage(20 * MIN) is None and long_runs.stage(20 * MIN + 1) == Stage.SLOWER_THAN_USUAL


def test_the_p95_is_of_the_usual_runs_so_one_odd_run_in_thirty_does_not_move_it_much() -> None:
    """Shown failing with the percentile 0.95 replaced by 1.0 (the slowest run) in ``limits_from``."""
    job = job_with(slow_run_timeout_percent=0, slow_run_margin_seconds=0)

    limits = durations.limits_from(job, [60.0] * 29 + [6000.0])

    assert limits.p95_seconds is not None and limits.p95_seconds < 2 * 60  # not the odd hour-and-a-half


def test_past_80_percent_of_its_timeout_a_run_is_near_it_whatever_its_history_says() -> None:
    """Shown failing with the near-timeout check dropped from ``Limits.stage``."""
    job = job_with(timeout_seconds=20 * 60)  # 80 % = 16 min; history: slow after 5 min 30 s

    limits = durations.limits_from(job, [30.0] * 10)

    assert limits.near_timeout_after == 16 * MIN
    assert limits.stage(5 * MIN) is None
    assert limits.stage(6 * MIN) == Stage.SLOWER_THAN_USUAL
    assert limits.stage(16 * MIN + 1) == Stage.NEAR_TIMEOUT
    assert limits.first == 5 * MIN + 30


def test_fewer_than_five_successful_runs_say_nothing_of_usual_only_the_timeout_limit_applies() -> None:
    """Shown failing with ``MIN_HISTORY`` replaced by 1 in ``limits_from``."""
    job = job_with(timeout_seconds=600)

    limits = durations.limits_from(job, [1.0] * (durations.MIN_HISTORY - 1))

    assert (limits.p95_seconds, limits.slow_after, limits.near_timeout_after) == (None, None, 480.0)
    assert limits.stage(479) is None and limits.stage(481) == Stage.NEAR_TIMEOUT


def test_each_limit_is_switched_off_by_zero() -> None:
    """Shown failing with ``and job.slow_run_factor > 0`` dropped from ``limits_from``."""
    job = job_with(slow_run_factor=0, slow_run_timeout_percent=0)

    limits = durations.limits_from(job, [1.0] * 30)

    assert (limits.slow_after, limits.near_timeout_after, limits.first) == (None, None, None)
    assert limits.stage(10**6) is None


@pytest.fixture
def finished(make_job: Callable[..., Job]) -> Callable[..., Execution]:
    job = make_job("j")

    def make(minutes_ago: float, seconds: float, **fields: Any) -> Execution:
        fields.setdefault("status", Status.SUCCEEDED)
        fields.setdefault("trigger", Trigger.MANUAL)
        started = NOW - timedelta(minutes=minutes_ago)
        return Execution.objects.create(
            job=job,
            queued_at=started,
            started_at=started,
            finished_at=started + timedelta(seconds=seconds),
            duration_seconds=seconds,
            **fields,
        )

    return make


def test_usual_is_the_last_30_successful_full_runs_that_finished_before_the_run_started(finished) -> None:
    """Shown failing with ``warehouses`` and ``checks`` dropped from ``durations.PLAIN``, and with ``parameters``
    dropped from it."""
    for minute in range(40, 0, -1):  # oldest first: 40 successful runs of 100 s … 139 s, the newest the longest
        finished(minute * 10, 100 + 40 - minute)
    finished(5, 99, status=Status.FAILED)  # these six are the newest, and none is a usual run
    finished(4, 99, warehouses=["ZBOZI"])  # a run of one warehouse
    finished(3, 99, checks=["diagnostics.pass"])
    finished(2, 99, trigger=Trigger.CHANGE)
    finished(1.9, 99, parameters={"date": "2026-01-31"})  # an audit of a past date
    finished(1.8, 99, parameters={"seconds": 2})  # a parameter of its own
    finished(0.01, 99)  # finished after the run in question started

    usual = durations.usual_runs(Job.objects.get().pk, before=NOW)

    assert [seconds for seconds, _ in usual] == [float(s) for s in range(139, 109, -1)]


@pytest.fixture
def slow_reports() -> Iterator[list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    execution_slow.connect(receiver, dispatch_uid="test-slow-reports")
    yield received
    execution_slow.disconnect(dispatch_uid="test-slow-reports")


def test_the_watch_reports_each_limit_once_the_higher_one_after_the_lower(db: None, slow_reports) -> None:
    """Shown failing with the ``stage <= self.reported`` guard removed from ``SlowWatch.__call__``."""
    limits = durations.limits_from(job_with(timeout_seconds=1000), [10.0] * 10)  # slow after 310 s, near at 800 s
    watch = runner.SlowWatch(Execution().pk, 1, NOW, limits)

    for seconds in (100, 300, 311, 320, 700, 801, 900, 950):
        watch(NOW + timedelta(seconds=seconds))

    assert [(r["stage"], r["elapsed_seconds"]) for r in slow_reports] == [
        (Stage.SLOWER_THAN_USUAL, 311.0),
        (Stage.NEAR_TIMEOUT, 801.0),
    ]


def test_a_limit_a_receiver_failed_to_report_is_reported_again_on_the_next_beat(db: None) -> None:
    """Shown failing with ``self.reported = stage`` moved above the failure check in ``SlowWatch.__call__``."""
    calls = []

    def flaky(sender: Any, **kwargs: Any) -> None:
        calls.append(kwargs["elapsed_seconds"])
        if len(calls) == 1:
            raise RuntimeError("database restarting")

    execution_slow.connect(flaky, dispatch_uid="test-flaky")
    try:
        watch = runner.SlowWatch(Execution().pk, 1, NOW, durations.limits_from(job_with(timeout_seconds=100), []))
        for seconds in (81, 82, 83):
            watch(NOW + timedelta(seconds=seconds))
    finally:
        execution_slow.disconnect(dispatch_uid="test-flaky")

    assert calls == [81.0, 82.0]
    assert watch.reported == Stage.NEAR_TIMEOUT


@pytest.mark.django_db(transaction=True)  # the heartbeat thread writes through its own connection
def test_a_watch_that_raises_never_stops_the_heartbeat(make_job) -> None:
    """Shown failing with the ``try`` around ``on_beat`` removed from ``_after_beat`` (the thread dies)."""
    import time

    from django.utils import timezone

    job = make_job("j")
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=NOW, status=Status.RUNNING)
    beats: list[object] = []

    def broken(now: object) -> None:
        beats.append(now)
        raise ValueError("a bug in the watch")

    with runner.heartbeat(execution.pk, interval=0.02, on_beat=broken):
        time.sleep(0.3)
    begun = timezone.now() - timedelta(seconds=0.3)

    execution.refresh_from_db()
    assert len(beats) >= 3
    assert execution.heartbeat_at is not None and execution.heartbeat_at > begun + timedelta(seconds=0.1)


def with_rows(execution: Execution, rows: int) -> Execution:
    CheckResult.objects.create(
        execution=execution, check_name="c", warehouse="ZBOZI", status=ResultStatus.PASSED, rows_read=rows
    )
    return execution


def test_a_run_far_shorter_than_usual_that_read_far_fewer_rows_is_flagged_as_short(finished) -> None:
    """Shown failing with ``<=`` turned into ``>`` for the rows in ``short_from``."""
    for minute in range(10, 0, -1):
        with_rows(finished(minute * 10, 100), 4000)
    run = with_rows(finished(0, 9), 120)

    short = durations.short_run(run)

    assert short == durations.ShortRun(9, 100, 120, 4000)
    assert short is not None
    assert short.text == (
        "much shorter than usual and read far fewer rows: 9.0 s (usually 1 min 40 s), 120 rows (usually 4,000)"
    )


@pytest.mark.parametrize(
    ("seconds", "rows", "why"),
    [
        (9, 4000, "read everything: just fast"),
        (50, 120, "half the usual time is not far shorter"),
    ],
)
def test_a_run_short_or_light_but_not_both_is_not_flagged(finished, seconds: float, rows: int, why: str) -> None:
    """Shown failing with either half of the ``and`` in ``short_from`` dropped (one case each)."""
    for minute in range(10, 0, -1):
        with_rows(finished(minute * 10, 100), 4000)

    assert durations.short_run(with_rows(finished(0, seconds), rows)) is None, why


def test_no_short_flag_for_a_run_of_some_warehouses_or_a_past_date_a_failed_run_or_a_job_that_switched_it_off(
    finished,
) -> None:
    """Shown failing with ``is_full_success`` reduced to ``execution.status == Status.SUCCEEDED``, and with
    ``parameters`` dropped from ``durations.PLAIN``."""
    for minute in range(10, 0, -1):
        with_rows(finished(minute * 10, 100), 4000)
    partial = with_rows(finished(0, 1, warehouses=["ZBOZI"]), 10)
    past = with_rows(finished(0, 1, parameters={"date": "2026-01-31"}), 10)
    failed = with_rows(finished(0, 1, status=Status.FAILED), 10)
    fine = with_rows(finished(0, 1), 10)
    assert durations.short_run(fine) is not None

    Job.objects.update(short_run_percent=0)
    fine = Execution.objects.select_related("job").get(pk=fine.pk)

    assert [durations.short_run(run) for run in (partial, past, failed, fine)] == [None, None, None, None]
