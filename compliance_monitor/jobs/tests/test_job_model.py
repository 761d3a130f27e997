from __future__ import annotations

from datetime import timedelta

import pytest

from compliance_monitor.jobs.models import Job


def job(**fields: object) -> Job:
    return Job(name="j", cron="0 * * * *", **fields)


def test_ten_runs_with_three_failures_is_a_thirty_percent_failure_rate() -> None:
    assert job(execution_count=10, failure_count=3).failure_rate == 30.0


def test_a_job_that_never_ran_has_no_failure_rate() -> None:
    assert job().failure_rate == 0.0


@pytest.mark.parametrize(
    ("fields", "healthy"),
    [
        ({"execution_count": 100, "failure_count": 5}, True),  # 5 % is healthy
        ({"execution_count": 100, "failure_count": 15}, False),  # 15 % is not
        ({"execution_count": 100, "failure_count": 10}, False),  # the bound itself is not
        ({"execution_count": 10, "consecutive_failures": 1, "failure_count": 0}, False),
        ({"enabled": False}, False),
        ({}, True),
    ],
)
def test_health_needs_enabled_no_failure_streak_and_under_ten_percent_failures(
    fields: dict[str, object], healthy: bool
) -> None:
    assert job(**fields).is_healthy is healthy


@pytest.mark.parametrize(
    ("fields", "attention"),
    [({"consecutive_failures": 2}, False), ({"consecutive_failures": 3}, True), ({"enabled": False}, True)],
)
def test_three_consecutive_failures_or_disabled_require_attention(fields: dict[str, object], attention: bool) -> None:
    assert job(**fields).requires_attention is attention


@pytest.mark.parametrize(("timeout", "soft"), [(1200, 1170.0), (60, 54.0), (10, 8.0), (2, 1.0)])
def test_the_soft_limit_leaves_cleanup_time_before_the_hard_kill(timeout: int, soft: float) -> None:
    assert job(timeout_seconds=timeout).soft_time_limit == soft


def test_the_default_timeout_is_twenty_minutes() -> None:
    assert job().timeout_seconds == 20 * 60


def test_retries_back_off_exponentially() -> None:
    j = job(retry_backoff_seconds=60)
    assert [j.retry_delay(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (60, 120, 240)]
