from __future__ import annotations

import pytest
from django.utils import timezone

from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution, Status
from tests.acceptance.helpers import make_job, trigger, wait_final
from tests.processes import wait_until

pytestmark = pytest.mark.workers


def test_cancelling_a_running_run_frees_the_job_at_once_and_the_worker_lives_on(engine: object) -> None:
    job = make_job(checks=["diagnostics.sleep"], default_parameters={"seconds": 3})
    execution = trigger(job)
    wait_until(lambda: Execution.objects.filter(pk=execution.pk, status=Status.RUNNING).exists(), timeout=15)

    services.cancel(execution, by="tester", now=timezone.now())

    job.refresh_from_db()
    assert job.lease_owner is None
    follow_up = wait_final(trigger(job, parameters={"seconds": 0}))
    assert follow_up.status == Status.SUCCEEDED, "the next run must not be blocked by the cancelled one"
    execution.refresh_from_db()
    assert execution.status == Status.CANCELLED, "the worker's late report must not overwrite the cancel"
