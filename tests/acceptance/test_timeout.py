from __future__ import annotations

import pytest

from compliance_monitor.jobs.models import Status
from tests.acceptance.helpers import make_job, trigger, wait_final

pytestmark = pytest.mark.workers


def test_a_hostile_run_that_ignores_sigterm_and_swallows_exceptions_is_killed_at_the_hard_limit(
    engine: object,
) -> None:
    job = make_job(checks=["diagnostics.hostile"], timeout_seconds=2, max_retries=0)

    done = wait_final(trigger(job), timeout=15)

    assert done.status == Status.TIMED_OUT
    assert done.error_type == "TimeLimitExceeded"
    assert "hard time limit of 2 s" in done.error_message
    assert 2 <= done.duration_seconds < 6
    job.refresh_from_db()
    assert job.lease_owner is None, "the lease must be released"
    assert (job.failure_count, job.consecutive_failures) == (1, 1), "a timeout counts as a failure"


def test_a_cooperative_run_is_stopped_cleanly_at_the_soft_limit(engine: object) -> None:
    job = make_job(checks=["diagnostics.sleep"], default_parameters={"seconds": 30}, timeout_seconds=4)

    done = wait_final(trigger(job), timeout=15)

    assert (done.status, done.error_type) == (Status.TIMED_OUT, "SoftTimeLimitExceeded")
    assert 2 <= done.duration_seconds < 4  # the soft limit (2 s) came first; no hard kill was needed


def test_the_next_run_after_a_kill_gets_the_job_and_runs(engine: object) -> None:
    job = make_job(checks=["diagnostics.hostile"], timeout_seconds=1, max_retries=0)
    assert wait_final(trigger(job), timeout=15).status == Status.TIMED_OUT

    job.checks = ["diagnostics.pass"]
    job.save()

    assert wait_final(trigger(job)).status == Status.SUCCEEDED
