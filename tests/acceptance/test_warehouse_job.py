from __future__ import annotations

import pytest

from compliance_monitor.alerts.models import Alert, AlertType, State
from compliance_monitor.erp.server import DataFaults, FlexiServer
from compliance_monitor.erp.synthetic import Company
from compliance_monitor.jobs.models import Execution, Status
from tests.acceptance.helpers import make_job, trigger, wait_final
from tests.processes import wait_until

pytestmark = pytest.mark.workers


def test_a_worker_runs_the_warehouse_check_against_the_erp_and_stores_what_it_found(
    engine: object, erp: FlexiServer
) -> None:
    job = make_job(checks=["warehouse.product_types"], default_parameters={"date": "2026-03-02"})

    done = wait_final(trigger(job, warehouses=["MATERIAL", "ZBOZI"]))

    assert done.status == Status.SUCCEEDED, done.error_message
    results = {r.warehouse: r for r in done.check_results.all()}
    assert set(results) == {"MATERIAL", "ZBOZI"} and done.total_reports == 2
    assert done.violation_reports == sum(not r.is_success for r in results.values())
    assert done.violation_reports >= 1  # the session's company misplaces goods: a run finding nothing is broken
    assert sum(r.violation_count for r in results.values()) >= 1
    for result in results.values():
        assert result.violation_count == result.violations.count()
        assert result.message == ", ".join(f"{v.product_code} ({v.quantity:g}ks)" for v in result.violations.all())


def test_a_failing_erp_fails_the_run_with_the_error_and_the_worker_lives_on(engine: object, erp: FlexiServer) -> None:
    job = make_job(checks=["warehouse.product_types"], max_retries=0)
    erp.set_faults(status=401)
    try:
        failed = wait_final(trigger(job))
    finally:
        erp.set_faults()

    assert (failed.status, failed.error_type) == (Status.FAILED, "IncompleteRead")
    assert "rejected the credentials of user 'api'" in failed.error_message and "pw" not in failed.error_message
    results = list(failed.check_results.all())  # every warehouse is recorded as incomplete, none as passed
    assert [r.status for r in results] == ["error"] * 3 and failed.total_reports == 3
    assert all("HTTP 401" in r.error for r in results)
    assert wait_final(trigger(job)).status == Status.SUCCEEDED


def reviewed(execution: Execution) -> Execution:
    done = wait_final(execution)
    wait_until(lambda: Execution.objects.filter(pk=done.pk, alert_review__isnull=False).exists(), timeout=15)
    return done


def test_item_0_a_warehouse_truncated_mid_read_fails_the_run_keeps_its_alert_and_the_others_are_updated(
    engine: object, erp: FlexiServer
) -> None:
    """Issue 10's end-to-end case, on real workers against the Flexi-format server."""
    job = make_job(checks=["warehouse.product_types"], max_retries=0)
    company = erp.state.company
    erp.state.company = Company(misplaced_percent=40)  # violations in every warehouse
    try:
        first = reviewed(trigger(job))
        assert first.status == Status.SUCCEEDED, first.error_message
        before = {a.warehouse: a for a in Alert.objects.filter(type=AlertType.COMPLIANCE_VIOLATION)}
        assert set(before) == {"MATERIAL", "ZBOZI", "POLOTOVARY"}

        erp.state.data = DataFaults(truncate={"ZBOZI": 25})
        second = reviewed(trigger(job))
    finally:
        erp.state.company, erp.state.data = company, DataFaults()

    assert second.status == Status.FAILED and second.error_type == "IncompleteRead"
    assert second.check_results.get(warehouse="ZBOZI").error == "ZBOZI: the ERP announced 40 rows and sent 25"
    after = {a.warehouse: a for a in Alert.objects.filter(type=AlertType.COMPLIANCE_VIOLATION)}
    assert after["ZBOZI"].state == State.OPEN and after["ZBOZI"].last_execution_id == first.pk
    assert after["ZBOZI"].occurrences == before["ZBOZI"].occurrences
    for warehouse in ("MATERIAL", "POLOTOVARY"):
        assert after[warehouse].last_execution_id == second.pk and after[warehouse].occurrences == 2
    failure = Alert.objects.get(type=AlertType.JOB_FAILURE, job=job)
    assert "ZBOZI" in failure.message and "announced 40 rows and sent 25" in failure.message
