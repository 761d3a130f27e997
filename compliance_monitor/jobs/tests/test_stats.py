from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from compliance_monitor.jobs import stats
from compliance_monitor.jobs.models import Status


@pytest.fixture
def job_with_history(make_job, make_execution, now):
    job = make_job(timezone="UTC")
    plan = [  # (days ago, status, seconds)
        (0, Status.SUCCEEDED, 10),
        (0, Status.SUCCEEDED, 20),
        (0, Status.FAILED, 30),
        (1, Status.SUCCEEDED, 40),
        (1, Status.TIMED_OUT, 1200),
        (1, Status.SKIPPED, 0),
        (3, Status.SUCCEEDED, 50),
        (40, Status.FAILED, 5),  # outside a 30-day period
    ]
    for days, status, seconds in plan:
        make_execution(job, queued_at=now - timedelta(days=days, minutes=5), status=status, duration_seconds=seconds)
    return job


def test_statistics_count_runs_by_status_over_the_period(job_with_history, now) -> None:
    result = stats.statistics(job_with_history, now=now, days=30)
    assert result.total == 7
    assert (result.by_status["succeeded"], result.by_status["failed"], result.by_status["skipped"]) == (4, 1, 1)
    assert result.success_rate == round(100 * 4 / 6, 2)  # skipped runs did not run


def test_statistics_report_mean_median_and_p95_duration_of_runs_that_ran(job_with_history, now) -> None:
    result = stats.statistics(job_with_history, now=now, days=30)
    assert result.average_duration_seconds == pytest.approx((10 + 20 + 30 + 40 + 1200 + 50) / 6)
    assert result.p50_duration_seconds == 35.0
    assert result.p95_duration_seconds == pytest.approx(912.5)


def test_the_daily_trend_covers_every_day_of_the_period(job_with_history, now) -> None:
    daily = stats.statistics(job_with_history, now=now, days=30).daily
    assert len(daily) == 31 and daily[-1].day == now.date()
    today, yesterday = daily[-1], daily[-2]
    assert (today.count, today.succeeded, today.failed, today.average_duration_seconds) == (3, 2, 1, 20.0)
    assert (yesterday.count, yesterday.failed) == (3, 1)
    assert daily[-3].count == 0 and daily[-3].average_duration_seconds is None


def test_the_daily_trend_gives_each_days_median_and_p95_duration(job_with_history, now) -> None:
    daily = stats.statistics(job_with_history, now=now, days=30).daily
    today, yesterday = daily[-1], daily[-2]
    assert (today.p50_duration_seconds, today.p95_duration_seconds) == (20.0, pytest.approx(29.0))
    assert yesterday.p50_duration_seconds == 620.0  # the skipped run (0 s) did not run
    assert yesterday.p95_duration_seconds == pytest.approx(40 + 1160 * 0.95)
    assert daily[-3].p50_duration_seconds is None


def test_the_period_must_be_sensible(job_with_history, now) -> None:
    with pytest.raises(ValidationError, match="days"):
        stats.statistics(job_with_history, now=now, days=0)


def test_percentiles_interpolate_between_ranks() -> None:
    assert stats.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert stats.percentile([], 0.5) is None


def test_health_summarises_every_job(make_job, now) -> None:
    from compliance_monitor.jobs import services

    make_job("fine")
    failing = make_job("failing")
    failing.consecutive_failures, failing.last_error = 3, "ErpError: unreachable"
    failing.save()
    services.disable(make_job("off"), reason="maintenance", by="a", now=now)

    summary = stats.health(now=now)

    assert (summary.total, summary.enabled, summary.disabled, summary.failing) == (3, 2, 1, 1)
    assert summary.requiring_attention == 2 and not summary.is_healthy
    by_name = {j.name: j for j in summary.jobs}
    assert by_name["failing"].last_error == "ErpError: unreachable" and not by_name["failing"].healthy
    assert by_name["off"].disabled_reason == "maintenance" and by_name["fine"].healthy


def test_a_system_without_problems_is_healthy(make_job, now) -> None:
    make_job()
    assert stats.health(now=now).is_healthy


def test_change_runs_have_their_own_durations_and_leave_the_headline_alone(make_job, make_execution, now) -> None:
    from datetime import timedelta

    from compliance_monitor.jobs import stats
    from compliance_monitor.jobs.models import Status, Trigger

    job = make_job()
    for seconds, trigger in ((100.0, Trigger.SCHEDULED), (120.0, Trigger.SCHEDULED), (2.0, Trigger.CHANGE)):
        make_execution(
            job,
            trigger=trigger,
            status=Status.SUCCEEDED,
            queued_at=now - timedelta(hours=1),
            duration_seconds=seconds,
        )

    found = stats.statistics(job, now=now)

    assert found.p50_duration_seconds == 110.0  # a one-warehouse change run does not make the job look fast
    assert found.by_trigger["change"].count == 1 and found.by_trigger["change"].p50_duration_seconds == 2.0
    assert found.by_trigger["scheduled"].p95_duration_seconds == 119.0
