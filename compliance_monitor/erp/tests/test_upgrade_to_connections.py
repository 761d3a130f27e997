"""Upgrading an installation configured by ``CM_ERP_*`` to connections as data (issue 11): jobs, rules, history
and alerts move onto the ``default`` connection; no alert reopens, none is duplicated or notified again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

PREVIOUS = [
    ("jobs", "0004_conflictsnapshot"),
    ("checks", "0004_past_date_results_not_current"),
    ("alerts", "0002_backfill_alerts_reviewed_at"),
    ("notifications", "0002_admin_role_permissions"),
    ("erp", "0001_initial"),
]
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CHECK = "warehouse.product_types"
ERP = {"CM_ERP_URL": "https://erp.example.com:5434", "CM_ERP_COMPANY": "acme", "CM_ERP_USER": "api"}


def seed_previous_schema(apps) -> dict[str, object]:
    """What a running installation of the previous version holds: a job, its rule, a run, an open alert."""
    Job = apps.get_model("jobs", "Job")
    job = Job.objects.create(name="hourly", cron="0 * * * *", checks=[CHECK])
    rules = apps.get_model("checks", "WarehouseRule").objects  # a flush by an earlier test removes the seeded ones
    rule, _ = rules.get_or_create(warehouse_code="ZBOZI", defaults={"warehouse_id": 4, "allowed": ["8", "1"]})
    execution = apps.get_model("jobs", "Execution").objects.create(
        job=job, trigger="scheduled", status="succeeded", queued_at=NOW, started_at=NOW, finished_at=NOW
    )
    result = apps.get_model("checks", "CheckResult").objects.create(
        execution=execution, check_name=CHECK, warehouse="ZBOZI", status="violated", violation_count=2, rows_read=40
    )
    Alert = apps.get_model("alerts", "Alert")
    alert = Alert.objects.create(
        type="compliance_violation",
        severity=2,
        fingerprint=f"compliance_violation:{CHECK}:ZBOZI",
        title="2 misplaced products in warehouse ZBOZI",
        check_name=CHECK,
        warehouse="ZBOZI",
        violation_count=2,
        job=job,
        execution=execution,
        last_execution=execution,
        raised_at=NOW,
        last_seen_at=NOW,
    )
    failure = Alert.objects.create(
        type="job_failure",
        severity=3,
        fingerprint="job_failure:hourly",
        title="t",
        job=job,
        raised_at=NOW,
        last_seen_at=NOW,
    )
    recipient = apps.get_model("notifications", "Recipient").objects.create(
        name="Petra", email="petra@example.com", warehouses=["ZBOZI"]
    )
    window = apps.get_model("notifications", "MaintenanceWindow").objects.create(
        warehouse="ZBOZI", starts_at=NOW, ends_at=NOW + timedelta(hours=1)
    )
    return {
        "job": job.pk,
        "rule": rule.pk,
        "result": result.pk,
        "alert": alert.pk,
        "failure": failure.pk,
        "recipient": recipient.pk,
        "window": window.pk,
        "execution": execution.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_an_env_configured_installation_keeps_its_jobs_rules_history_and_alerts_on_the_default_connection() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS)
    try:
        old = executor.loader.project_state(PREVIOUS).apps
        old.get_model("erp", "Connection").objects.all().delete()  # the previous version had no connection rows
        seeded = seed_previous_schema(old)

        with override_settings(**ERP, CM_ERP_PASSWORD="s3cret-pw"):
            executor = MigrationExecutor(connection)
            executor.migrate(executor.loader.graph.leaf_nodes())
        upgraded = assert_upgraded(seeded)
        assert_next_run_updates_the_same_alert_and_notifies_nobody(seeded, upgraded)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def assert_upgraded(seeded: dict[str, object]):
    from compliance_monitor.alerts.models import Alert, State
    from compliance_monitor.checks.models import CheckResult, WarehouseRule
    from compliance_monitor.erp.models import Connection
    from compliance_monitor.jobs.models import Job
    from compliance_monitor.notifications.models import MaintenanceWindow, Recipient

    default = Connection.objects.get(name="default")
    assert (default.base_url, default.company, default.username) == (ERP["CM_ERP_URL"], "acme", "api")
    assert default.password == "s3cret-pw" and "s3cret" not in default.password_encrypted
    assert list(Connection.objects.values_list("name", flat=True)) == ["default"], "no demo next to a real ERP"
    assert Job.objects.get(pk=seeded["job"]).connection == default
    assert set(WarehouseRule.objects.values_list("connection__name", flat=True)) == {"default"}
    assert CheckResult.objects.get(pk=seeded["result"]).connection == "default"
    alert = Alert.objects.get(pk=seeded["alert"])
    assert (alert.state, alert.connection, alert.fingerprint) == (
        State.OPEN,
        "default",
        f"compliance_violation:default:{CHECK}:ZBOZI",
    )
    failure = Alert.objects.get(pk=seeded["failure"])
    assert (failure.fingerprint, failure.connection) == ("job_failure:hourly", "default")
    assert Recipient.objects.get(pk=seeded["recipient"]).connection == default
    assert MaintenanceWindow.objects.get(pk=seeded["window"]).connection == default
    return default


def assert_next_run_updates_the_same_alert_and_notifies_nobody(seeded: dict[str, object], default) -> None:
    from compliance_monitor.alerts import raising
    from compliance_monitor.alerts.models import Alert
    from compliance_monitor.checks.base import CheckOutcome, Violation
    from compliance_monitor.jobs import lifecycle
    from compliance_monitor.jobs.lifecycle import Result
    from compliance_monitor.jobs.models import Execution, Job, Status
    from compliance_monitor.notifications.models import Delivery

    later = NOW + timedelta(hours=1)
    job = Job.objects.get(pk=seeded["job"])
    execution = Execution.objects.create(job=job, trigger="scheduled", queued_at=later)
    lifecycle.claim(execution.pk, worker="w1", now=later)
    found = tuple(Violation("ZBOZI", code, quantity=1) for code in ("P1", "P2"))
    outcome = CheckOutcome(CHECK, "ZBOZI", found, rows_read=40, connection=default.name)
    lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, (outcome,)), now=later)
    raising.process_execution(execution.pk, now=later)

    alert = Alert.objects.get(check_name=CHECK, warehouse="ZBOZI")
    assert alert.pk == seeded["alert"] and alert.occurrences == 2 and alert.last_execution_id == execution.pk
    assert not Delivery.objects.exists(), "an upgrade never notifies an alert again"
