from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution, Status
from tests.acceptance.helpers import make_job, result_discarded, trigger, wait_final
from tests.processes import wait_until

pytestmark = pytest.mark.workers


def test_cancelling_a_running_run_frees_the_job_at_once_and_the_worker_lives_on(
    engine: object, process_logs: Path
) -> None:
    """The worker's late report is awaited (its log line) and shown discarded. Shown failing with ``finish``
    accepting a cancelled execution as ``from_status`` (the late report then overwrites the cancel)."""
    job = make_job(checks=["diagnostics.sleep", "diagnostics.violations"], default_parameters={"seconds": 3})
    execution = trigger(job)
    wait_until(lambda: Execution.objects.filter(pk=execution.pk, status=Status.RUNNING).exists(), timeout=15)

    services.cancel(execution, by="tester", now=timezone.now())

    job.refresh_from_db()
    assert job.lease_owner is None
    follow_up = wait_final(trigger(job, parameters={"seconds": 0}))
    assert follow_up.status == Status.SUCCEEDED, "the next run must not be blocked by the cancelled one"
    wait_until(lambda: result_discarded(process_logs, execution), timeout=20, what="the worker's late report")
    execution.refresh_from_db()
    assert execution.status == Status.CANCELLED, "the worker's late report must not overwrite the cancel"
    assert not execution.check_results.exists() and execution.total_reports == 0  # its findings: discarded
