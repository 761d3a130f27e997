from __future__ import annotations

import pytest

from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.jobs.models import Status
from tests.acceptance.helpers import make_job, trigger, wait_final

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

    assert (failed.status, failed.error_type) == (Status.FAILED, "ErpAuthError")
    assert "rejected the credentials of user 'api'" in failed.error_message and "pw" not in failed.error_message
    first = failed.check_results.get()  # the first warehouse failed: it is recorded as an error result
    assert first.status == "error" and "HTTP 401" in first.error and failed.total_reports == 1
    assert wait_final(trigger(job)).status == Status.SUCCEEDED
