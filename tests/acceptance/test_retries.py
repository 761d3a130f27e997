from __future__ import annotations

import pytest

from compliance_monitor.jobs.models import Execution, Status, Trigger
from tests.acceptance.helpers import make_job, trigger, wait_final
from tests.processes import wait_until

pytestmark = pytest.mark.workers


def test_a_failing_run_records_the_error_and_retries_per_the_policy(engine: object) -> None:
    job = make_job(
        checks=["diagnostics.fail"],
        max_retries=2,
        retry_backoff_seconds=0,
        default_parameters={"message": "ERP said no"},
    )

    first = wait_final(trigger(job))
    chain = wait_until(lambda: _final_chain(job.pk, 3), timeout=20, what="three attempts")

    assert first.status == Status.FAILED and first.error_type == "DiagnosticFailure"
    assert first.error_message == "ERP said no" and "Traceback" in first.error_traceback
    assert [(e.attempt, e.trigger, e.status) for e in chain] == [
        (1, Trigger.MANUAL, Status.FAILED),
        (2, Trigger.RETRY, Status.FAILED),
        (3, Trigger.RETRY, Status.FAILED),
    ]
    assert chain[1].retry_of_id == chain[0].pk and chain[2].retry_of_id == chain[1].pk
    job.refresh_from_db()
    assert job.consecutive_failures == 3 and job.enabled


def test_the_job_auto_disables_at_five_consecutive_failures(engine: object) -> None:
    job = make_job(checks=["diagnostics.fail"], max_retries=9, retry_backoff_seconds=0)

    wait_final(trigger(job))
    wait_until(lambda: _final_chain(job.pk, 5), timeout=30, what="five failures")

    job.refresh_from_db()
    assert not job.enabled and job.consecutive_failures == 5 and job.disabled_by == "system"
    assert "5 consecutive failures" in job.disabled_reason
    assert Execution.objects.filter(job=job).count() == 5, "a disabled job must not retry"


def _final_chain(job_id: int, length: int) -> list[Execution] | None:
    chain = list(Execution.objects.filter(job_id=job_id).order_by("attempt"))
    return chain if len(chain) >= length and all(e.is_final for e in chain) else None
