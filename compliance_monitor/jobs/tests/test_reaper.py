from __future__ import annotations

from datetime import timedelta

from django.test import override_settings

from compliance_monitor.jobs import lifecycle, reaper
from compliance_monitor.jobs.models import Execution, Status

SETTINGS = {"CM_HEARTBEAT_TIMEOUT_SECONDS": 60, "CM_QUEUED_TIMEOUT_SECONDS": 300, "CM_LEASE_MARGIN_SECONDS": 60}


@override_settings(**SETTINGS)
def test_a_run_without_a_heartbeat_is_abandoned_and_its_lease_released(make_job, make_execution, now) -> None:
    job = make_job(max_retries=0)
    execution = lifecycle.claim(make_execution(job).pk, worker="w/1", now=now).execution

    assert reaper.sweep(now=now + timedelta(seconds=59))["abandoned_running"] == 0
    assert reaper.sweep(now=now + timedelta(seconds=61))["abandoned_running"] == 1

    execution.refresh_from_db()
    assert (execution.status, execution.error_type) == (Status.ABANDONED, "WorkerLost")
    assert "no heartbeat from worker w/1" in execution.error_message
    job.refresh_from_db()
    assert job.lease_owner is None
    assert Execution.objects.filter(retry_of=execution, context__recovered_from=str(execution.pk)).exists()


@override_settings(**SETTINGS)
def test_a_queued_run_nobody_claimed_is_abandoned_as_a_lost_message(make_job, make_execution, now) -> None:
    execution = make_execution(make_job())

    assert reaper.sweep(now=now + timedelta(seconds=299))["abandoned_queued"] == 0
    assert reaper.sweep(now=now + timedelta(seconds=301))["abandoned_queued"] == 1

    execution.refresh_from_db()
    assert (execution.status, execution.error_type) == (Status.ABANDONED, "MessageLost")


@override_settings(**SETTINGS)
def test_a_retry_waiting_for_its_backoff_is_not_a_lost_message(make_job, make_execution, now) -> None:
    make_execution(make_job(), scheduled_for=now + timedelta(hours=1))
    assert reaper.sweep(now=now + timedelta(minutes=30))["abandoned_queued"] == 0


@override_settings(**SETTINGS)
def test_a_run_still_heartbeating_past_its_hard_limit_is_timed_out(make_job, make_execution, now) -> None:
    job = make_job(timeout_seconds=120)
    execution = lifecycle.claim(make_execution(job).pk, worker="w/1", now=now).execution
    late = now + timedelta(seconds=181)
    Execution.objects.filter(pk=execution.pk).update(heartbeat_at=late)

    assert reaper.sweep(now=late)["timed_out"] == 1

    execution.refresh_from_db()
    assert (execution.status, execution.error_type) == (Status.TIMED_OUT, "TimeLimitExceeded")


def test_a_hard_timeout_is_recorded_once(make_job, make_execution, now) -> None:
    execution = lifecycle.claim(make_execution(make_job()).pk, worker="w/1", now=now).execution
    assert reaper.record_hard_timeout(execution.pk, timeout=2, now=now)
    assert not reaper.record_hard_timeout(execution.pk, timeout=2, now=now)
    execution.refresh_from_db()
    assert execution.error_message == "killed at the hard time limit of 2 s"
