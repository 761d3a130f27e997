"""Issue 10, items 0–4: a run changes alerts only on data it provably read whole, of "now".

The warehouse check reads a Flexi-format server over loopback; the run is the real runner and review.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from compliance_monitor.alerts import raising, volume
from compliance_monitor.alerts.models import Alert, AlertType, State
from compliance_monitor.checks.defaults import ensure_default_rules
from compliance_monitor.checks.models import CheckResult, ResultStatus, WarehouseRule
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from compliance_monitor.jobs import runner, services
from compliance_monitor.jobs.models import Execution, Job, Status
from tests.erp_connection import connect_to, ensure_original_reports

# The runner's heartbeat thread writes through its own connection: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TIDY = Company(misplaced_percent=0)


@pytest.fixture
def erp() -> Iterator[FlexiServer]:
    server = FlexiServer(FlexiState(Company(misplaced_percent=30), username="api", password="pw")).start_in_thread()
    with override_settings(CM_ERP_RETRIES=0):
        yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def job(transactional_db: None, erp: FlexiServer) -> Job:
    ensure_default_rules(WarehouseRule)  # the three original reports (a flush removed the migration's rows)
    ensure_original_reports()
    job = services.create_job(now=T0, name="stock", cron="0 * * * *", checks=[CHECK_NAME], max_retries=0)
    connect_to(erp, page_size=7)
    job.refresh_from_db()
    return job


Run = Callable[..., Execution]


@pytest.fixture
def run(job: Job, erp: FlexiServer) -> Run:
    """Run the job for real at T0 + ``hour`` hours (optionally a subset or parameters), then review it."""

    def go(hour: int, *, warehouses: tuple[str, ...] = (), **parameters: object) -> Execution:
        now = T0 + timedelta(hours=hour)
        execution = Execution.objects.create(
            job=job, trigger="manual", queued_at=now, parameters=parameters, warehouses=list(warehouses)
        )
        runner.run(execution.pk, worker="here/1", clock=lambda: now)
        raising.process_execution(execution.pk, now=now)
        execution.refresh_from_db()
        return execution

    return go


def compliance(warehouse: str) -> Alert | None:
    alerts = Alert.objects.filter(type=AlertType.COMPLIANCE_VIOLATION, warehouse=warehouse).order_by("-pk")
    return alerts.first()


def result(execution: Execution, warehouse: str) -> CheckResult:
    return execution.check_results.get(warehouse=warehouse)


def test_item_0_an_incomplete_scope_keeps_its_alerts_while_the_complete_ones_count(run: Run, erp: FlexiServer) -> None:
    first = run(0)
    assert first.status == Status.SUCCEEDED
    material, zbozi = compliance("MATERIAL"), compliance("ZBOZI")
    assert material and zbozi and material.state == zbozi.state == State.OPEN

    erp.state.company = TIDY  # every warehouse clean now …
    erp.state.data.truncate = {"ZBOZI": 30}  # … but ZBOZI is cut off mid-read
    second = run(1)

    assert second.status == Status.FAILED and "ZBOZI" in second.error_message
    assert result(second, "ZBOZI").error == "ZBOZI: the ERP announced 40 rows and sent 30"
    material.refresh_from_db()
    assert material.state == State.RESOLVED, "a complete clean read resolves, even in a failed run"
    before = (zbozi.state, zbozi.occurrences, zbozi.last_execution_id, zbozi.last_seen_at, zbozi.violation_count)
    zbozi.refresh_from_db()
    assert (
        zbozi.state,
        zbozi.occurrences,
        zbozi.last_execution_id,
        zbozi.last_seen_at,
        zbozi.violation_count,
    ) == before
    failure = Alert.objects.get(type=AlertType.JOB_FAILURE)
    assert "ZBOZI" in failure.message and "announced 40 rows and sent 30" in failure.message


def test_item_0_violations_found_in_complete_scopes_of_a_failed_run_raise_their_alerts(
    run: Run, erp: FlexiServer
) -> None:
    erp.state.data.truncate = {"MATERIAL": 3}
    execution = run(0)

    assert execution.status == Status.FAILED
    assert compliance("ZBOZI") is not None and compliance("MATERIAL") is None


def test_item_1_a_row_count_changing_once_is_read_again_and_passes(run: Run, erp: FlexiServer) -> None:
    erp.state.data.count_offsets = [0, 1]  # a booking during the first read of the first warehouse
    execution = run(0)

    assert execution.status == Status.SUCCEEDED
    assert result(execution, "MATERIAL").rows_read == 40


def test_item_1_a_row_count_that_keeps_changing_makes_the_scope_incomplete(run: Run, erp: FlexiServer) -> None:
    erp.state.data.count_offsets = [0, 1, 0, 1]  # both reads of MATERIAL see a change
    execution = run(0, warehouses=("MATERIAL",))

    assert execution.status == Status.FAILED
    assert "row count changed during the read (40 → 41), twice" in result(execution, "MATERIAL").error


def test_item_2_a_nan_quantity_makes_only_its_scope_incomplete_and_never_reaches_the_database(
    run: Run, erp: FlexiServer
) -> None:
    erp.state.data.values = {("ZBOZI", 4): {"stavMJ": "NaN"}}
    execution = run(0)

    assert execution.status == Status.FAILED and execution.error_type == "IncompleteRead"
    assert result(execution, "ZBOZI").error == (
        "ZBOZI: 1 of 40 rows could not be judged (ZBO00004: field stavMJ is 'NaN', not a finite number)"
    )
    assert result(execution, "MATERIAL").status == ResultStatus.VIOLATED
    assert compliance("MATERIAL") is not None, "the other warehouses are still evaluated and alerted"


def test_item_3_a_collapsed_read_resolves_nothing_and_raises_a_system_alert(run: Run, erp: FlexiServer) -> None:
    for hour in range(3):
        run(hour)
    zbozi = compliance("ZBOZI")
    erp.state.company = Company(misplaced_percent=0, products_per_warehouse=3)  # 3 of the usual 40

    collapsed = run(3)

    assert collapsed.status == Status.SUCCEEDED
    assert result(collapsed, "ZBOZI").volume_note == "ZBOZI returned 3 stock rows, usually about 40"
    zbozi.refresh_from_db()
    assert zbozi.state == State.OPEN, "a suspect read must not resolve"
    guard = Alert.objects.get(fingerprint=raising.volume_fingerprint("default", CHECK_NAME, "ZBOZI"))
    assert (guard.type, guard.state, guard.title) == (
        AlertType.SYSTEM_ERROR,
        State.OPEN,
        "ZBOZI returned 3 stock rows, usually about 40",
    )


def test_item_3_zero_rows_are_suspect_even_without_history(run: Run, erp: FlexiServer) -> None:
    erp.state.company = Company(products_per_warehouse=0)
    execution = run(0)

    assert result(execution, "MATERIAL").volume_note == "MATERIAL returned 0 stock rows on its first read"


def test_item_3_an_accepted_volume_becomes_the_baseline_and_resolves_what_it_held_back(
    run: Run, erp: FlexiServer
) -> None:
    run(0)
    zbozi = compliance("ZBOZI")
    erp.state.company = Company(misplaced_percent=0, products_per_warehouse=2)
    run(1)

    accepted = volume.accept_volume("default", CHECK_NAME, "ZBOZI", by="alice", now=T0 + timedelta(hours=2))

    assert (accepted.volume_accepted_by, accepted.rows_read) == ("alice", 2)
    zbozi.refresh_from_db()
    guard = Alert.objects.get(fingerprint=raising.volume_fingerprint("default", CHECK_NAME, "ZBOZI"))
    assert zbozi.state == guard.state == State.RESOLVED and guard.resolved_by == "alice"
    later = run(3)
    assert result(later, "ZBOZI").volume_note == "", "2 rows is the accepted normal now"
    with pytest.raises(volume.NothingToAcceptError):
        volume.accept_volume("default", CHECK_NAME, "ZBOZI", by="alice", now=T0 + timedelta(hours=4))


def test_item_4_a_run_over_a_past_date_stores_results_and_changes_no_alert(run: Run, erp: FlexiServer) -> None:
    run(0)
    material = compliance("MATERIAL")
    erp.state.company = TIDY

    audit = run(1, date="2026-01-15")

    assert audit.status == Status.SUCCEEDED and result(audit, "MATERIAL").status == ResultStatus.PASSED
    material.refresh_from_db()
    assert material.state == State.OPEN and material.last_execution_id != audit.pk
    assert Alert.objects.count() == len({a.fingerprint for a in Alert.objects.all()})


def test_item_4_overridden_parameters_change_no_alert_but_todays_date_does(
    run: Run, erp: FlexiServer, job: Job
) -> None:
    overridden = run(0, extra="x")
    assert overridden.check_results.exists() and not Alert.objects.exists()

    today = run(1, date=(T0 + timedelta(hours=1)).date().isoformat())
    assert Alert.objects.filter(execution=today).exists()


def test_item_4_a_run_over_a_subset_changes_the_alerts_of_its_own_scopes_only(run: Run, erp: FlexiServer) -> None:
    run(0)
    zbozi = compliance("ZBOZI")
    erp.state.company = TIDY

    run(1, warehouses=("MATERIAL",))

    zbozi.refresh_from_db()
    assert compliance("MATERIAL").state == State.RESOLVED and zbozi.state == State.OPEN
