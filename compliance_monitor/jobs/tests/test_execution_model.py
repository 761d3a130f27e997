from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from compliance_monitor.jobs.models import Execution, Status

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def execution(**fields: object) -> Execution:
    return Execution(queued_at=START, **fields)


def test_a_run_longer_than_fifteen_minutes_is_long_running() -> None:
    running = execution(status=Status.RUNNING, started_at=START)
    with time_machine.travel(START + timedelta(minutes=15), tick=False):
        assert not running.is_long_running
    with time_machine.travel(START + timedelta(minutes=15, seconds=1), tick=False):
        assert running.is_long_running


def test_a_finished_run_is_never_long_running() -> None:
    done = execution(status=Status.SUCCEEDED, started_at=START, finished_at=START + timedelta(hours=1))
    assert not done.is_long_running


def test_failed_and_timed_out_runs_have_errors() -> None:
    assert execution(status=Status.FAILED).has_errors
    assert execution(status=Status.TIMED_OUT).has_errors
    assert execution(status=Status.ABANDONED, error_type="WorkerLost").has_errors
    assert not execution(status=Status.SUCCEEDED).has_errors


def test_violations_and_success_rate_come_from_the_report_counts() -> None:
    run = execution(total_reports=4, successful_reports=3, violation_reports=1)
    assert run.has_violations and run.success_rate == 75.0
    assert not execution(total_reports=3, successful_reports=3).has_violations
    assert execution().success_rate == 0.0  # no reports, nothing succeeded
