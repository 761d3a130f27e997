"""Issue 12: stored definitions are versioned, found by jobs by name, and their runs raise alerts like any check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from compliance_monitor.alerts import raising
from compliance_monitor.alerts.models import Alert, Severity
from compliance_monitor.checks import definitions, library, registry
from compliance_monitor.checks.definition import DefinitionError
from compliance_monitor.checks.models import CheckDefinition, CheckDefinitionVersion
from compliance_monitor.checks.tests.test_definition import NEGATIVE
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from compliance_monitor.jobs import runner, services
from compliance_monitor.jobs.models import Execution, Status
from tests.erp_connection import connect_to

pytestmark = pytest.mark.django_db(transaction=True)  # the runner's heartbeat thread commits through its own
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def erp(transactional_db: None) -> Iterator[FlexiServer]:
    flexi = FlexiServer(FlexiState(Company(), username="api", password="pw", today=T0.date())).start_in_thread()
    connect_to(flexi, page_size=50)
    with override_settings(CM_ERP_RETRIES=0):
        yield flexi
    flexi.shutdown()
    flexi.server_close()


def test_a_change_is_a_new_version_and_the_same_content_is_not(erp: FlexiServer) -> None:
    stored = definitions.create(NEGATIVE, now=T0, by="ann")
    assert (stored.version, CheckDefinitionVersion.objects.filter(name=NEGATIVE["name"]).count()) == (1, 1)

    changed = definitions.update(stored, {"predicate": "stavMJ < -1"}, now=T0 + timedelta(minutes=1), by="bob")
    same = definitions.update(changed, {"predicate": "stavMJ < -1"}, now=T0 + timedelta(minutes=2))

    assert (changed.version, same.version, same.updated_by) == (2, 2, "bob")
    versions = CheckDefinitionVersion.objects.filter(name=NEGATIVE["name"]).order_by("version")
    assert [v.spec["predicate"] for v in versions] == ["stavMJ < 0", "stavMJ < -1"]


def test_a_definition_cannot_be_renamed_nor_take_a_taken_or_built_in_name(erp: FlexiServer) -> None:
    stored = definitions.create(NEGATIVE, now=T0)
    with pytest.raises(DefinitionError, match="cannot be changed"):
        definitions.update(stored, {"name": "other.name"}, now=T0)
    with pytest.raises(DefinitionError, match="exists already"):
        definitions.create(NEGATIVE, now=T0)
    with pytest.raises(DefinitionError, match="built-in"):
        definitions.create({**NEGATIVE, "name": "diagnostics.pass"}, now=T0)


def test_the_library_installs_once_and_never_overwrites_an_edit(erp: FlexiServer) -> None:
    installed = library.install(now=T0)  # all but warehouse.product_types, which its migration installed
    assert {d.name for d in installed} | {CHECK_NAME} == {d["name"] for d in library.shipped()}
    assert all(d.shipped for d in installed)
    negative = definitions.named("stock.negative")
    definitions.update(negative, {"thresholds": {"critical": 99, "high": 50}}, now=T0)

    assert library.install(now=T0 + timedelta(days=1)) == []
    assert definitions.named("stock.negative").spec["thresholds"] == {"critical": 99, "high": 50, "medium": 0}


def test_a_job_runs_a_definition_by_name_and_its_findings_raise_an_alert(erp: FlexiServer) -> None:
    definitions.create({**NEGATIVE, "thresholds": {"critical": 5, "high": 1, "medium": 0}}, now=T0)
    assert NEGATIVE["name"] in registry.names()
    job = services.create_job(now=T0, name="negative", cron="0 * * * *", checks=[NEGATIVE["name"]], max_retries=0)
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=T0)

    runner.run(execution.pk, worker="here/1", clock=lambda: T0)
    raising.process_execution(execution.pk, now=T0)

    execution.refresh_from_db()
    assert execution.status == Status.SUCCEEDED
    result = execution.check_results.get()
    assert (result.check_version, result.check_title, result.thresholds) == (1, "Negative stock in ZBOZI", [5, 1, 0])
    alert = Alert.objects.get(check_name=NEGATIVE["name"], warehouse="ZBOZI")
    suffix = raising.company_suffix("default")
    assert alert.title == f"Negative stock in ZBOZI: {result.violation_count} findings in ZBOZI{suffix}"
    assert result.violation_count == 2 and alert.severity == Severity.HIGH  # 2 > high (1), not > critical (5)
    assert result.message in alert.message and "ks)" in result.message


def test_a_disabled_definition_fails_the_run_saying_so(erp: FlexiServer) -> None:
    definitions.create({**NEGATIVE, "enabled": False}, now=T0)
    job = services.create_job(now=T0, name="negative", cron="0 * * * *", checks=[NEGATIVE["name"]], max_retries=0)
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=T0)

    runner.run(execution.pk, worker="here/1", clock=lambda: T0)

    execution.refresh_from_db()
    assert execution.status == Status.FAILED and "is disabled" in execution.error_message
    assert CheckDefinition.objects.get(name=NEGATIVE["name"]).enabled is False


def test_a_deleted_definition_created_again_continues_its_versions_and_the_library_leaves_it_deleted(
    erp: FlexiServer,
) -> None:
    library.install(now=T0)
    definitions.delete(definitions.named("stock.negative"), now=T0)
    assert library.install(now=T0 + timedelta(days=1)) == []  # deleted on purpose: not installed again

    again = definitions.create(library.shipped()[-1] | {"name": "stock.negative"}, now=T0 + timedelta(days=2))
    assert again.version == 2
    assert list(CheckDefinitionVersion.objects.filter(name="stock.negative").values_list("version", flat=True)) == [
        2,
        1,
    ]


def test_two_changes_from_the_same_stale_copy_both_land_as_versions_and_neither_is_lost(erp: FlexiServer) -> None:
    stale = definitions.create(NEGATIVE, now=T0)
    definitions.update(stale, {"predicate": "stavMJ < -1"}, now=T0)
    latest = definitions.update(stale, {"thresholds": {"critical": 20, "high": 9}}, now=T0)

    assert latest.version == 3 and latest.spec["predicate"] == "stavMJ < -1"
    assert latest.spec["thresholds"] == {"critical": 20, "high": 9, "medium": 0}


def test_a_name_taken_at_the_same_moment_is_the_same_clear_error_not_a_crash(
    erp: FlexiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    definitions.create(NEGATIVE, now=T0)
    monkeypatch.setattr(definitions, "taken", lambda name: False)  # as if the other insert came after the look

    with pytest.raises(DefinitionError, match="exists already"):
        definitions.create(NEGATIVE, now=T0)
    assert CheckDefinition.objects.filter(name=NEGATIVE["name"]).count() == 1
