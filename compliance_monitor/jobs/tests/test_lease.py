from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Status


def test_the_first_claim_takes_the_lease_and_starts_the_run(make_job, make_execution, now) -> None:
    job = make_job(timeout_seconds=600)
    execution = make_execution(job)

    claim = lifecycle.claim(execution.pk, worker="w1/1", now=now)

    assert claim.execution and claim.execution.status == Status.RUNNING
    assert (claim.execution.started_at, claim.execution.worker) == (now, "w1/1")
    job.refresh_from_db()
    assert job.lease_owner == execution.pk
    # The lease outlives the hard limit by the margin exactly, so a killed run's lease frees itself — and no later.
    # Shown failing with lease_expiry returning now + timeout (no margin) or + 2 x margin.
    assert job.lease_expires_at == now + timedelta(seconds=600 + settings.CM_LEASE_MARGIN_SECONDS)


def test_a_run_that_finds_its_job_busy_is_skipped_pointing_at_the_run_in_progress(
    make_job, make_execution, now
) -> None:
    job = make_job()
    first, second = make_execution(job), make_execution(job)
    lifecycle.claim(first.pk, worker="w1/1", now=now)

    claim = lifecycle.claim(second.pk, worker="w2/1", now=now)

    second.refresh_from_db()
    assert claim.execution is None and claim.skipped_for == first.pk
    assert (second.status, second.blocked_by, second.worker) == (Status.SKIPPED, first.pk, "w2/1")


def test_an_expired_lease_can_be_taken_over(make_job, make_execution, now) -> None:
    job = make_job(timeout_seconds=60)
    stale, fresh = make_execution(job), make_execution(job)
    lifecycle.claim(stale.pk, worker="dead/1", now=now)

    claim = lifecycle.claim(fresh.pk, worker="w1/1", now=now + timedelta(hours=1))

    assert claim.execution is not None


def test_finishing_releases_the_lease(make_job, make_execution, now) -> None:
    job = make_job()
    execution = make_execution(job)
    lifecycle.claim(execution.pk, worker="w1/1", now=now)

    lifecycle.finish(execution.pk, Result(Status.SUCCEEDED), now=now)

    job.refresh_from_db()
    assert (job.lease_owner, job.lease_expires_at) == (None, None)


def test_a_stale_message_for_a_finished_run_is_ignored(make_job, make_execution, now) -> None:
    execution = make_execution(make_job(), status=Status.CANCELLED)

    claim = lifecycle.claim(execution.pk, worker="w1/1", now=now)

    execution.refresh_from_db()
    assert claim.execution is None and claim.skipped_for is None and execution.status == Status.CANCELLED
