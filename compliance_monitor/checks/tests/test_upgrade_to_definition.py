"""Upgrading to issue 12: the original reports, code until now, become the definition warehouse.product_types —
the job keeps naming it, the next run updates the same open alert (same title, same fingerprint), compares with the
last run's violations and notifies nobody."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from compliance_monitor.alerts.models import severity_for
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from tests.erp_connection import connect_to

PREVIOUS = [
    ("jobs", "0005_job_connection"),
    ("checks", "0006_check_definitions"),
    ("alerts", "0003_alert_connection"),
    ("notifications", "0003_recipient_and_window_connection"),
    ("erp", "0003_catalog_properties"),
]
CHECK = "warehouse.product_types"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def offenders(company: Company, code: str, allowed: set[str], on: date) -> list[str]:
    """What the rule finds in ``code`` on ``on``, from the synthetic company's own facts."""
    warehouse = company.warehouse(f"code:{code}")
    rows = (company.row(warehouse, index, on.toordinal()) for index in range(company.row_count(warehouse)))
    return [
        f"{code[:3]}{facts['index']:05d}"
        for facts in rows
        if facts["group"] and str(facts["group"].id) not in allowed and facts["quantity"] > 0
    ]


def seed_previous_schema(apps, found: list[str]) -> dict[str, int]:
    """A running installation: a job of the code check, a finished run and its open alert for MATERIAL."""
    default, _ = apps.get_model("erp", "Connection").objects.get_or_create(
        name="default", defaults={"company": "demo", "is_demo": True, "updated_at": NOW}
    )
    rules = apps.get_model("checks", "WarehouseRule").objects  # a flush by an earlier test removes the seeded ones
    rules.exclude(connection=default).delete()  # run first, the migrations' own rules are on "demo": one ERP in v1
    rules.get_or_create(connection=default, warehouse_code="MATERIAL", defaults={"warehouse_id": 5, "allowed": ["3"]})
    job = apps.get_model("jobs", "Job").objects.create(
        name="hourly", cron="0 * * * *", checks=[CHECK], connection=default
    )
    execution = apps.get_model("jobs", "Execution").objects.create(
        job=job, trigger="scheduled", status="succeeded", queued_at=NOW, started_at=NOW, finished_at=NOW
    )
    result = apps.get_model("checks", "CheckResult").objects.create(
        execution=execution,
        connection="default",
        check_name=CHECK,
        report_name="MaterialWarehouseInvalidProductsReport",
        warehouse="MATERIAL",
        status="violated",
        violation_count=len(found),
        rows_read=40,
    )
    for code in found:
        result.violations.create(warehouse="MATERIAL", product_code=code, quantity=1, unit="ks")
    title = f"{len(found)} misplaced products in warehouse MATERIAL (default)"  # as the previous version wrote it
    alert = apps.get_model("alerts", "Alert").objects.create(
        type="compliance_violation",
        severity=severity_for(len(found)),
        fingerprint=f"compliance_violation:default:{CHECK}:MATERIAL",
        title=title,
        connection="default",
        check_name=CHECK,
        warehouse="MATERIAL",
        violation_count=len(found),
        job=job,
        execution=execution,
        last_execution=execution,
        raised_at=NOW,
        last_seen_at=NOW,
    )
    return {"job": job.pk, "alert": alert.pk, "result": result.pk}


@pytest.mark.django_db(transaction=True)
def test_the_next_run_after_the_upgrade_updates_the_same_alert_compares_with_the_last_run_and_notifies_nobody() -> None:
    company = Company()
    server = FlexiServer(FlexiState(company, username="api", password="pw")).start_in_thread()
    found = offenders(company, "MATERIAL", {"3"}, LATER.date())
    assert found  # the run has something to agree with
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS)
    try:
        seeded = seed_previous_schema(executor.loader.project_state(PREVIOUS).apps, found)
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        with override_settings(CM_ERP_RETRIES=0):
            assert_next_run_agrees(seeded, server, found)
    finally:
        server.shutdown()
        server.server_close()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def assert_next_run_agrees(seeded: dict[str, int], server: FlexiServer, found: list[str]) -> None:
    from compliance_monitor.alerts import raising
    from compliance_monitor.alerts.models import Alert, State
    from compliance_monitor.checks.models import CheckDefinition, CheckResult
    from compliance_monitor.jobs import runner
    from compliance_monitor.jobs.models import Execution, Job, Status
    from compliance_monitor.notifications.models import Delivery

    assert CheckDefinition.objects.get(name=CHECK).shipped
    connect_to(server, is_demo=False)  # the installation's ERP, now the local server
    job = Job.objects.get(pk=seeded["job"])
    execution = Execution.objects.create(job=job, trigger="scheduled", queued_at=LATER, scheduled_for=LATER)
    assert runner.run(execution.pk, worker="w/1", clock=lambda: LATER) == Status.SUCCEEDED
    raising.process_execution(execution.pk, now=LATER)

    result = CheckResult.objects.get(execution=execution, warehouse="MATERIAL")
    assert (result.check_name, result.compared_with_id) == (CHECK, seeded["result"])
    assert sorted(result.violations.values_list("product_code", "change")) == [(c, "persisting") for c in found]
    alert = Alert.objects.get(fingerprint=f"compliance_violation:default:{CHECK}:MATERIAL")
    assert (alert.pk, alert.state, alert.occurrences) == (seeded["alert"], State.OPEN, 2)
    assert alert.title == f"{len(found)} misplaced products in warehouse MATERIAL (default)"
    assert not Delivery.objects.exists(), "an upgrade never notifies an alert again"
