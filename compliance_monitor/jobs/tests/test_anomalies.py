"""A job's duration anomalies over a period (jobs/anomalies.py), for its chart; the thresholds from the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from compliance_monitor.checks.models import CheckResult, ResultStatus
from compliance_monitor.jobs import anomalies
from compliance_monitor.jobs.models import Execution, Job, Status
from compliance_monitor.jobs.tests.conftest import NOW

START = NOW - timedelta(days=7)


@pytest.fixture
def ran(make_job: Callable[..., Job]) -> Callable[..., Execution]:
    job = make_job("j", timeout_seconds=3600)

    def make(hours_before_now: float, seconds: float, rows: int = 4000, **fields: Any) -> Execution:
        fields.setdefault("status", Status.SUCCEEDED)
        started = NOW - timedelta(hours=hours_before_now)
        execution = Execution.objects.create(
            job=job,
            trigger="scheduled",
            scheduled_for=started,
            queued_at=started,
            started_at=started,
            finished_at=started + timedelta(seconds=seconds),
            duration_seconds=seconds,
            **fields,
        )
        CheckResult.objects.create(
            execution=execution, check_name="c", warehouse="ZBOZI", status=ResultStatus.PASSED, rows_read=rows
        )
        return execution

    return make


def test_each_run_of_the_period_is_judged_against_the_runs_before_it(ran) -> None:
    """Shown failing with the window seeded empty in ``of_period`` (the first slow run then has no history), and with
    ``parameters`` left out of ``durations.PLAIN`` (the past-date run is called short)."""
    for hour in range(200, 190, -1):  # ten usual runs of 60 s before the period
        ran(hour, 60)
    slow = ran(100, 400, status=Status.FAILED)  # p95 60 s: slow after 6 min
    short = ran(90, 5, rows=100)  # median 60 s and 4,000 rows: under 6 s and ≤ 2,000 rows
    ran(80, 5, rows=4000)  # as quick, but it read everything: just fast
    ran(70, 30, warehouses=["ZBOZI"], rows=100)  # a run of one warehouse is not compared
    ran(60, 5, parameters={"date": "2026-01-31"}, rows=100)  # nor a look at a past date
    ran(1, 61)

    found = anomalies.of_period(Job.objects.get(), start=START, now=NOW)

    assert [(a.execution_id, a.kind) for a in found] == [(slow.pk, "slow"), (short.pk, "short")]
    assert found[0].text == (
        "slow: took 6 min 40 s; usually done within 1 min (p95 of its last 10 runs), slow after 6 min; "
        "its timeout is 1 h 0 min"
    )


def test_what_usual_means_moves_with_the_runs_of_the_period(ran) -> None:
    """Shown failing with ``window.append`` dropped from ``of_period`` (the runs of the period never count)."""
    for hour in range(200, 190, -1):  # ten usual runs of 60 s before the period
        ran(hour, 60)
    slower = [ran(hour, 1200) for hour in range(150, 120, -1)]  # then the job got slower for good
    later = ran(10, 1300)

    found = anomalies.of_period(Job.objects.get(), start=START, now=NOW)

    # The first slower run is slow next to ten runs of 60 s; with it among the usual, the p95 is 10 min 30 s and
    # the next one (20 min) is within 2 × p95 — and soon the slower runs are what "usual" means.
    assert [a.execution_id for a in found] == [slower[0].pk]
    assert later.pk not in [a.execution_id for a in found]


def jobs(*args: str) -> str:
    out = StringIO()
    call_command("jobs", *args, stdout=out)
    return out.getvalue()


def test_the_thresholds_are_set_from_the_command_line(db: None) -> None:
    """Shown failing with the ``slow_run_margin`` line dropped from ``SETTABLE`` (argparse: unknown option)."""
    jobs("create", "nightly", "--cron", "0 2 * * *", "--checks", "diagnostics.pass")

    said = jobs("set", "nightly", "--slow-run-factor", "3.5", "--slow-run-margin", "60", "--short-run-percent", "0")

    job = Job.objects.get()
    assert (job.slow_run_factor, job.slow_run_margin_seconds, job.short_run_percent) == (3.5, 60, 0)
    assert "short_run_percent, slow_run_factor, slow_run_margin_seconds" in said


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "lots"])
def test_a_slow_factor_that_is_no_finite_number_in_range_is_refused(db: None, value: str) -> None:
    """Shown failing ("nan" accepted and stored) with ``validate_finite`` dropped from ``Job.slow_run_factor``."""
    jobs("create", "nightly", "--cron", "0 2 * * *", "--checks", "diagnostics.pass")

    with pytest.raises(CommandError, match=r"slow_run_factor|--slow-run-factor"):
        jobs("set", "nightly", "--slow-run-factor", value)
    assert Job.objects.get().slow_run_factor == 2.0
