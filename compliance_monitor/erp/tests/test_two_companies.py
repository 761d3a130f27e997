"""Issue 11: two companies on two servers, a job on each — their alerts are their own, and a server that goes
down fails only its own job. Real runner and review, the ERP over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from compliance_monitor.alerts import raising
from compliance_monitor.alerts.models import Alert, AlertType, State
from compliance_monitor.checks.defaults import ensure_default_rules
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp.models import Connection
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from compliance_monitor.jobs import runner, services
from compliance_monitor.jobs.models import Execution, Job, Status
from tests.erp_connection import connect_to

pytestmark = pytest.mark.django_db(transaction=True)  # the runner's heartbeat thread has its own connection
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def serve(company: Company) -> FlexiServer:
    return FlexiServer(FlexiState(company, username="api", password="pw")).start_in_thread()


@pytest.fixture
def servers() -> Iterator[dict[str, FlexiServer]]:
    started = {"a": serve(Company(misplaced_percent=40)), "b": serve(Company.other("acme", misplaced_percent=40))}
    with override_settings(CM_ERP_RETRIES=0):
        yield started
    for server in started.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def jobs(servers: dict[str, FlexiServer]) -> dict[str, Job]:
    ensure_default_rules(WarehouseRule)
    connect_to(servers["a"], name="a", title="Demo s.r.o.")
    b = Connection.objects.create(
        name="b", title="Acme a.s.", base_url=servers["b"].url, company="acme", username="api"
    )
    b.password = "pw"
    b.save()
    WarehouseRule.objects.create(connection=b, warehouse_code="SUROVINY", warehouse_id=61, allowed=["3"])
    WarehouseRule.objects.create(connection=b, warehouse_code="ZBOZI", warehouse_id=62, allowed=["8"])
    make = {"name": "x", "cron": "0 * * * *", "checks": [CHECK_NAME], "max_retries": 0}
    return {
        "a": services.create_job(now=T0, **{**make, "name": "job-a"}, connection="a"),
        "b": services.create_job(now=T0, **{**make, "name": "job-b"}, connection=b),
    }


def run(job: Job, hour: int) -> Execution:
    now = T0 + timedelta(hours=hour)
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=now)
    runner.run(execution.pk, worker="here/1", clock=lambda: now)
    raising.process_execution(execution.pk, now=now)
    execution.refresh_from_db()
    return execution


def zbozi(connection: str) -> Alert:
    return Alert.objects.get(type=AlertType.COMPLIANCE_VIOLATION, connection=connection, warehouse="ZBOZI")


def test_each_job_reads_its_own_company_and_the_same_warehouse_code_makes_two_alerts(jobs: dict[str, Job]) -> None:
    ran = {name: run(job, 0) for name, job in jobs.items()}

    assert {name: e.status for name, e in ran.items()} == {"a": Status.SUCCEEDED, "b": Status.SUCCEEDED}
    assert set(ran["a"].check_results.values_list("warehouse", flat=True)) == {"MATERIAL", "ZBOZI", "POLOTOVARY"}
    assert set(ran["b"].check_results.values_list("warehouse", flat=True)) == {"SUROVINY", "ZBOZI"}
    a, b = zbozi("a"), zbozi("b")
    assert a.pk != b.pk and a.fingerprint != b.fingerprint
    assert a.title.endswith("in warehouse ZBOZI (Demo s.r.o.)") and b.title.endswith("in warehouse ZBOZI (Acme a.s.)")
    assert set(ran["b"].check_results.values_list("connection", flat=True)) == {"b"}


def test_a_server_that_goes_down_fails_only_its_own_job_and_alerts_for_it(
    jobs: dict[str, Job], servers: dict[str, FlexiServer]
) -> None:
    first = {name: run(job, 0) for name, job in jobs.items()}
    before = zbozi("b").occurrences
    servers["b"].shutdown()
    servers["b"].server_close()

    again = {name: run(job, 1) for name, job in jobs.items()}

    assert again["a"].status == Status.SUCCEEDED and again["b"].status == Status.FAILED
    assert "not read whole" in again["b"].error_message
    failures = Alert.objects.filter(type=AlertType.JOB_FAILURE).exclude(state=State.RESOLVED)
    assert list(failures.values_list("job__name", "connection")) == [("job-b", "b")]
    assert zbozi("b").occurrences == before, "an unread company's alerts stay as they were"
    assert zbozi("a").occurrences == 2 and first["a"].status == Status.SUCCEEDED


def test_a_disabled_connection_is_not_read_and_its_job_fails_saying_why(jobs: dict[str, Job]) -> None:
    Connection.objects.filter(name="b").update(enabled=False)

    failed = run(jobs["b"], 0)

    assert failed.status == Status.FAILED and "connection 'b' is disabled" in failed.error_message
    assert not failed.check_results.exists() and run(jobs["a"], 0).status == Status.SUCCEEDED
