"""Issue 14, fault injection at the ERP: a Flexi-format server failing every other request is ridden out by the
client's retries; an outage is one job-failure alert however many runs fail, resolved by the next success.
Real workers read the local server; its faults are switched from here."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance_monitor.alerts.models import Alert, AlertType, State
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.jobs.models import Execution, Status
from tests.acceptance.helpers import make_job, trigger, wait_final
from tests.processes import wait_until

pytestmark = pytest.mark.workers


def reviewed(execution: Execution) -> bool:
    return Execution.objects.filter(pk=execution.pk, alerts_reviewed_at__isnull=False).exists()


def test_an_erp_failing_every_other_request_is_ridden_out_and_an_outage_is_one_alert_until_the_next_success(
    engine: object, erp: FlexiServer, process_logs: Path
) -> None:
    job = make_job("flaky-erp", checks=[CHECK_NAME], max_retries=0)
    erp.set_faults(status=503, every=2)

    flaky = wait_final(trigger(job), timeout=90)

    assert flaky.status == Status.SUCCEEDED and flaky.successful_reports + flaky.violation_reports >= 3
    assert erp.state.faults.seen // 2 >= 2  # half of the requests failed (every other one), each was retried
    logs = "".join(path.read_text(errors="replace") for path in process_logs.glob("w*.log"))
    assert "erp_request_retry" in logs and "HTTP 503" in logs

    erp.set_faults(status=503)  # an outage: every request fails, retries too
    try:
        down = [wait_final(trigger(job), timeout=90) for _ in range(2)]
        assert [run.status for run in down] == [Status.FAILED, Status.FAILED]
        wait_until(lambda: all(reviewed(run) for run in down), timeout=30, what="the failed runs reviewed")
        (failure,) = Alert.objects.filter(type=AlertType.JOB_FAILURE, job=job)  # one alert for the outage
        assert failure.state == State.OPEN and failure.occurrences == 2
    finally:
        erp.set_faults()

    back = wait_final(trigger(job), timeout=90)
    assert back.status == Status.SUCCEEDED
    wait_until(lambda: reviewed(back), timeout=30, what="the successful run reviewed")
    failure.refresh_from_db()
    assert failure.state == State.RESOLVED  # the next success resolved it
