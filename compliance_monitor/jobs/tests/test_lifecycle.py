from __future__ import annotations

from datetime import timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from compliance_monitor.checks.base import CheckOutcome, Violation
from compliance_monitor.jobs import lifecycle, scheduler
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Status, Trigger


@pytest.fixture
def run(make_execution, now):
    def start(job, **fields):
        execution = make_execution(job, **fields)
        return lifecycle.claim(execution.pk, worker="w/1", now=now).execution

    return start


def test_a_successful_run_records_counts_duration_and_results(make_job, run, now) -> None:
    job = make_job()
    execution = run(job)
    outcomes = (
        CheckOutcome("c", "MATERIAL", (Violation("MATERIAL", "P1", quantity=5, unit="ks"),)),
        CheckOutcome("c", "ZBOZI"),
    )

    assert lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, outcomes), now=now + timedelta(seconds=3))

    execution.refresh_from_db()
    assert (execution.status, execution.duration_seconds) == (Status.SUCCEEDED, 3.0)
    assert (execution.total_reports, execution.successful_reports, execution.violation_reports) == (2, 1, 1)
    assert [(r.warehouse, r.status, r.message) for r in execution.check_results.all()] == [
        ("MATERIAL", "violated", "P1 (5ks)"),
        ("ZBOZI", "passed", ""),
    ]
    job.refresh_from_db()
    assert (job.execution_count, job.failure_count, job.last_status, job.last_success_at) == (
        1,
        0,
        Status.SUCCEEDED,
        now + timedelta(seconds=3),
    )


def test_finishing_twice_changes_nothing_the_second_time(make_job, run, now) -> None:
    execution = run(make_job(max_retries=0))
    assert lifecycle.finish(execution.pk, Result(Status.SUCCEEDED), now=now)
    assert not lifecycle.finish(execution.pk, Result(Status.FAILED, error_type="X"), now=now)
    execution.refresh_from_db()
    assert execution.status == Status.SUCCEEDED


def test_failures_count_in_a_row_and_a_success_resets_the_streak(make_job, run, now) -> None:
    job = make_job(max_retries=0)
    for _ in range(3):
        lifecycle.finish(run(job).pk, Result(Status.FAILED, error_type="E", error_message="boom"), now=now)
    job.refresh_from_db()
    assert (job.consecutive_failures, job.failure_count, job.last_error) == (3, 3, "E: boom")

    lifecycle.finish(run(job).pk, Result(Status.SUCCEEDED), now=now)

    job.refresh_from_db()
    assert (job.consecutive_failures, job.failure_count, job.execution_count) == (0, 3, 4)


def test_at_the_maximum_consecutive_failures_the_job_disables_itself_and_beat_stops_it(make_job, run, now) -> None:
    job = make_job(max_retries=0, max_consecutive_failures=2)
    for _ in range(2):
        lifecycle.finish(run(job).pk, Result(Status.TIMED_OUT, error_type="TimeLimitExceeded"), now=now)

    job.refresh_from_db()
    assert not job.enabled and job.disabled_by == "system" and job.disabled_at == now
    assert "auto-disabled after 2 consecutive failures" in job.disabled_reason
    assert not PeriodicTask.objects.get(name=scheduler.task_name(job)).enabled


def test_auto_disable_can_be_turned_off(make_job, run, now) -> None:
    job = make_job(max_retries=0, max_consecutive_failures=1, auto_disable_on_failures=False)
    lifecycle.finish(run(job).pk, Result(Status.FAILED), now=now)
    job.refresh_from_db()
    assert job.enabled


def test_a_failed_run_queues_a_retry_after_the_backoff(make_job, run, now) -> None:
    job = make_job(max_retries=2, retry_backoff_seconds=30)
    first = run(job, parameters={"a": 1}, warehouses=["MATERIAL"], triggered_by="alice")

    lifecycle.finish(first.pk, Result(Status.FAILED), now=now)

    retry = Execution.objects.get(retry_of=first)
    assert (retry.trigger, retry.attempt, retry.status) == (Trigger.RETRY, 2, Status.QUEUED)
    assert (retry.scheduled_for, retry.queued_at) == (now + timedelta(seconds=30), now)
    assert (retry.parameters, retry.warehouses, retry.triggered_by) == ({"a": 1}, ["MATERIAL"], "alice")


def test_each_further_retry_waits_twice_as_long(make_job, run, now) -> None:
    """Shown failing against a constant backoff (``retry_delay`` returning ``retry_backoff_seconds`` alone)."""
    job = make_job(max_retries=3, retry_backoff_seconds=30)
    second = run(job, attempt=2, trigger=Trigger.RETRY)
    lifecycle.finish(second.pk, Result(Status.FAILED), now=now)
    third = Execution.objects.get(retry_of=second)
    lifecycle.claim(third.pk, worker="w/1", now=now)
    lifecycle.finish(third.pk, Result(Status.FAILED), now=now)

    fourth = Execution.objects.get(retry_of=third)

    assert (third.attempt, third.scheduled_for) == (3, now + timedelta(seconds=60))
    assert (fourth.attempt, fourth.scheduled_for) == (4, now + timedelta(seconds=120))


def test_retries_stop_when_the_policy_is_spent(make_job, run, now) -> None:
    job = make_job(max_retries=1)
    last = run(job, attempt=2, trigger=Trigger.RETRY)
    lifecycle.finish(last.pk, Result(Status.FAILED), now=now)
    assert not Execution.objects.filter(retry_of=last).exists()


def test_a_timed_out_run_is_not_retried(make_job, run, now) -> None:
    execution = run(make_job(max_retries=3))
    lifecycle.finish(execution.pk, Result(Status.TIMED_OUT), now=now)
    assert not Execution.objects.filter(retry_of=execution).exists()


def test_an_abandoned_run_is_re_queued_once_and_only_once(make_job, run, now) -> None:
    job = make_job(max_retries=0)
    lost = run(job)
    lifecycle.finish(lost.pk, Result(Status.ABANDONED, error_type="WorkerLost"), now=now)
    recovery = Execution.objects.get(retry_of=lost)
    assert recovery.context == {"recovered_from": str(lost.pk)}

    started = lifecycle.claim(recovery.pk, worker="w/2", now=now).execution
    lifecycle.finish(started.pk, Result(Status.ABANDONED, error_type="WorkerLost"), now=now)

    assert not Execution.objects.filter(retry_of=recovery).exists()


def test_a_cancelled_run_does_not_count_as_a_run_or_a_failure(make_job, run, now) -> None:
    job = make_job()
    lifecycle.finish(run(job).pk, Result(Status.CANCELLED), now=now)
    job.refresh_from_db()
    assert (job.execution_count, job.consecutive_failures) == (0, 0)
