from __future__ import annotations

import time

import pytest

from compliance_monitor.jobs.models import Execution, Status, Trigger
from tests.acceptance.helpers import make_job, trigger, wait_final

pytestmark = pytest.mark.workers


def test_a_manual_trigger_runs_on_a_worker_and_records_everything(engine: object) -> None:
    """The trigger returns at once — the stored row, read right after, is not final while the run sleeps 1.5 s —
    and a worker then runs it. Shown failing by making ``services.trigger`` wait for the run (``wait_settled``)."""
    job = make_job(checks=["diagnostics.sleep", "diagnostics.violations"])

    started = time.monotonic()
    execution = trigger(job, parameters={"count": 4, "seconds": 1.5}, warehouses=["MATERIAL", "ZBOZI"], reason="audit")
    returned_after = time.monotonic() - started
    row = Execution.objects.get(pk=execution.pk)
    assert returned_after < 1.0 and row.status in (Status.QUEUED, Status.RUNNING)  # stored, and not waited for

    done = wait_final(execution)
    assert done.status == Status.SUCCEEDED
    assert (done.trigger, done.triggered_by, done.reason) == (Trigger.MANUAL, "tester", "audit")
    assert done.parameters == {"count": 4, "seconds": 1.5} and done.warehouses == ["MATERIAL", "ZBOZI"]
    assert (done.total_reports, done.successful_reports, done.violation_reports) == (4, 2, 2)
    assert done.started_at and done.finished_at and done.worker
    assert sorted(r.violation_count for r in done.check_results.all()) == [0, 0, 4, 4]
    job.refresh_from_db()
    assert (job.execution_count, job.last_status, job.lease_owner) == (1, Status.SUCCEEDED, None)


def test_a_forced_run_of_a_disabled_job_is_an_emergency_run(engine: object) -> None:
    from django.utils import timezone

    from compliance_monitor.jobs import services

    job = services.disable(make_job(), reason="maintenance", by="admin", now=timezone.now())

    done = wait_final(trigger(job, force=True, by="admin"))

    assert (done.status, done.trigger) == (Status.SUCCEEDED, Trigger.EMERGENCY)
