from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import CommandError as BaseCommandError
from django.test import override_settings

from compliance_monitor.checks import registry
from compliance_monitor.checks.base import CheckContext, OutcomeStatus
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from tests.erp_connection import connect_to

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def erp() -> Iterator[FlexiServer]:
    server = FlexiServer(FlexiState(Company(), username="api", password="pw")).start_in_thread()
    with override_settings(CM_ERP_RETRIES=0):
        yield server
    server.shutdown()
    server.server_close()


def expected_offenders(server: FlexiServer, code: str, allowed: set[str]) -> list[str]:
    """What the rule must find, computed from the synthetic company's own facts."""
    company = server.state.company
    warehouse = company.warehouse(f"code:{code}")
    slot = datetime(2026, 3, 2).toordinal()
    found = []
    for index in range(company.row_count(warehouse)):
        facts = company.row(warehouse, index, slot)
        if facts["group"] and str(facts["group"].id) not in allowed and facts["quantity"] > 0:
            found.append(f"{code[:3]}{index:05d}")
    return found


@pytest.fixture(autouse=True)
def _rules_read_the_server(db: None, erp: FlexiServer) -> None:
    connect_to(erp)


def test_the_check_reads_each_configured_warehouse_from_the_erp(db: None, erp: FlexiServer) -> None:
    context = CheckContext(uuid.uuid4(), "job", NOW, {"date": "2026-03-02"})

    outcomes = {o.warehouse: o for o in registry.get(CHECK_NAME).run(context)}

    assert set(outcomes) == {"MATERIAL", "ZBOZI", "POLOTOVARY"}
    for code, allowed in (("MATERIAL", {"3"}), ("ZBOZI", {"8", "1"}), ("POLOTOVARY", {"7"})):
        assert [v.product_code for v in outcomes[code].violations] == expected_offenders(erp, code, allowed)
    assert any(not o.is_success for o in outcomes.values())


def test_wrong_credentials_make_every_warehouse_incomplete_asking_the_erp_once(db: None, erp: FlexiServer) -> None:
    erp.set_faults(status=401)
    outcomes = registry.get(CHECK_NAME).run(CheckContext(uuid.uuid4(), "job", NOW))

    assert [o.status for o in outcomes] == [OutcomeStatus.ERROR] * 3 and erp.state.requests == 1
    assert all("rejected the credentials" in o.error for o in outcomes)


def test_the_cli_exits_1_on_violations_and_prints_offenders(db: None, erp: FlexiServer) -> None:
    out = StringIO()
    with pytest.raises(BaseCommandError) as caught:
        call_command("checks", "run", "--date", "2026-03-02", stdout=out)
    assert caught.value.returncode == 1
    first = expected_offenders(erp, "MATERIAL", {"3"})[0]
    assert "VIOLATED" in out.getvalue() and first in out.getvalue()


def test_the_cli_exits_0_when_the_chosen_warehouses_pass(db: None, erp: FlexiServer) -> None:
    erp.state.company = Company(misplaced_percent=0)  # a tidy company
    out = StringIO()
    call_command("checks", "run", "--warehouse", "MATERIAL", "--json", stdout=out)
    assert '"is_success": true' in out.getvalue()


def test_the_cli_exits_2_when_the_erp_is_down(db: None, erp: FlexiServer) -> None:
    erp.set_faults(status=500)
    with pytest.raises(CommandError, match="ERP unreachable") as caught:
        call_command("checks", "run", stdout=StringIO())
    assert caught.value.returncode == 2


def test_a_refused_warehouse_is_incomplete_and_the_others_are_still_evaluated(db: None, erp: FlexiServer) -> None:
    erp.set_faults(status=403, remaining=1)  # the first warehouse asked (MATERIAL) is refused
    context = CheckContext(uuid.uuid4(), "job", NOW, {"date": "2026-03-02"})

    outcomes = {o.warehouse: o for o in registry.get(CHECK_NAME).run(context)}

    assert outcomes["MATERIAL"].status == OutcomeStatus.ERROR and "HTTP 403" in outcomes["MATERIAL"].error
    assert outcomes["MATERIAL"].error.startswith("MATERIAL: ") and not outcomes["MATERIAL"].is_success
    assert outcomes["ZBOZI"].status == OutcomeStatus.VIOLATED and outcomes["ZBOZI"].rows_read == 40


def test_item_3_the_cli_never_calls_an_empty_warehouse_clean(db: None, erp: FlexiServer) -> None:
    erp.state.company = Company(products_per_warehouse=0)
    with pytest.raises(CommandError, match="read 0 rows of MATERIAL: suspect") as caught:
        call_command("checks", "run", "--warehouse", "MATERIAL", stdout=StringIO())
    assert caught.value.returncode == 2
