"""Duration anomalies on the dashboard (issue 16): the thresholds in the job's form, slow and suspiciously short
runs flagged on their run page and marked on the job's duration chart."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from compliance_monitor.checks.models import CheckResult, ResultStatus
from compliance_monitor.dashboard import charts
from compliance_monitor.dashboard.tests.test_job_page import JOB, edit_data
from compliance_monitor.jobs.models import Execution, Job, Status
from compliance_monitor.jobs.stats import DailyTrend


def ran(job: Job, ago: timedelta, seconds: float | None, rows: int = 4000, **fields: Any) -> Execution:
    """A run of ``job`` that started ``ago`` before now and took ``seconds`` (None: still running)."""
    started = timezone.now() - ago
    fields.setdefault("status", Status.SUCCEEDED if seconds is not None else Status.RUNNING)
    execution = Execution.objects.create(
        job=job,
        trigger="manual",
        queued_at=started,
        started_at=started,
        heartbeat_at=started,
        finished_at=None if seconds is None else started + timedelta(seconds=seconds),
        duration_seconds=seconds,
        **fields,
    )
    if seconds is not None:
        CheckResult.objects.create(
            execution=execution, check_name="c", warehouse="ZBOZI", status=ResultStatus.PASSED, rows_read=rows
        )
    return execution


@pytest.fixture
def usual(job: Job) -> Job:
    """Ten runs of a minute over 4,000 rows each, a few days ago."""
    for hours in range(100, 90, -1):
        ran(job, timedelta(hours=hours), 60)
    return job


def test_an_administrator_sets_the_thresholds_in_the_jobs_form(as_role, job) -> None:
    """Shown failing with the ``slow_run_factor`` field removed from ``JobForm`` (its value never reaches the
    service: the job keeps 2.0)."""
    response = as_role("admin").post(f"{JOB}edit", edit_data(job, slow_run_factor="3.5", short_run_percent="0"))

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.slow_run_factor, job.short_run_percent, job.slow_run_timeout_percent) == (3.5, 0, 80)


def test_a_threshold_out_of_range_is_refused_on_its_field(as_role, job) -> None:
    """Shown failing with both the form's ``max_value=99`` and the model's ``MaxValueValidator(99)`` dropped from
    ``slow_run_timeout_percent`` (either alone refuses it on the field)."""
    response = as_role("admin").post(f"{JOB}edit", edit_data(job, slow_run_timeout_percent="100"))

    assert response.status_code == 422
    assert "less than or equal to 99" in str(response.context["edit_form"].errors["slow_run_timeout_percent"])
    assert Job.objects.get().slow_run_timeout_percent == 80


def test_a_viewer_reads_the_thresholds_in_words(as_role, job) -> None:
    """Shown failing with the timeout part dropped from the read-only configuration in ``job.html``."""
    page = as_role("viewer").get(JOB).content.decode()

    assert "past 2 × the usual p95 (and p95 + 5 min) or past 80 % of the timeout" in page
    assert "flagged under 10 % of the median with at most half the rows" in page


def test_a_run_still_going_past_its_limit_says_so_on_its_page(as_role, usual) -> None:
    """Shown failing with ``slow=slow`` dropped from the live ``RunPage`` in ``queries.run_page``."""
    running = ran(usual, timedelta(minutes=7), None)
    quick = ran(usual, timedelta(hours=1), 50)

    page = as_role("viewer").get(f"/runs/{running.pk}/").content.decode()

    assert 'data-testid="slow-run"' in page
    assert "slower than usual: running for 7 min" in page and "slow after 6 min" in page
    assert 'data-testid="slow-run"' not in as_role("viewer").get(f"/runs/{quick.pk}/").content.decode()


def test_a_run_far_shorter_than_usual_that_read_far_fewer_rows_is_flagged_on_its_page(as_role, usual) -> None:
    """Shown failing with ``short=short`` dropped from the reviewed ``RunPage`` in ``queries.run_page``."""
    short = ran(usual, timedelta(hours=1), 3, rows=120, alerts_reviewed_at=timezone.now())

    page = as_role("viewer").get(f"/runs/{short.pk}/").content.decode()

    assert 'data-testid="short-run"' in page
    assert "much shorter than usual and read far fewer rows: 3.0 s (usually 1 min), 120 rows (usually 4,000)" in page


def test_slow_and_short_runs_are_marked_on_the_jobs_duration_chart_and_listed_under_it(as_role, usual) -> None:
    """Shown failing with ``markers`` left out of the ``DailyChart`` built by ``charts.daily_chart``."""
    slow = ran(usual, timedelta(hours=30), 500, status=Status.FAILED)
    short = ran(usual, timedelta(hours=29), 3, rows=100)

    page = as_role("viewer").get(JOB).content.decode()

    assert page.count('data-testid="anomaly-marker"') == 1  # both on one day
    assert ": 1 slow run, 1 suspiciously short run</title>" in page
    assert "2 slow or suspiciously short runs" in page
    assert f'/runs/{slow.pk}/"' in page and f'/runs/{short.pk}/"' in page


def test_a_marker_sits_above_its_days_bar_and_names_its_counts() -> None:
    """Shown failing with the plural ``s`` dropped from the marker's title in ``charts._marker``."""
    days = [DailyTrend(date(2026, 6, d), 4, 3, 1, 10.0, 9.0, 20.0) for d in (1, 2, 3)]

    chart = charts.daily_chart(days, {date(2026, 6, 2): Counter(slow=2)})

    (marker,) = chart.markers
    bar = chart.bars[1]
    assert marker.title == "2026-06-02: 2 slow runs"
    assert marker.x == pytest.approx(bar.x + bar.width / 2)
    assert 0 < marker.y < bar.other_y  # the busiest day's bar reaches the top of the plot: still above it
