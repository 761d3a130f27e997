"""Issue 12: the original three reports, now the definition warehouse.product_types, give byte-identical results to
the v1 code check. ``data/original_reports_v1.json`` was written by that code (commit c7dbc22 holds the script) over
the same local server data: both JSON typings, decimal quantities and odd units, a row without a goods group,
hostile product codes, rules by goods group id, by code and by product type — and over the drifting demo company."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from compliance_monitor.checks import registry
from compliance_monitor.checks.base import CheckContext, CheckOutcome
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp.models import Connection
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from tests.erp_connection import connect_to

GOLDEN = json.loads(Path(__file__).with_name("data").joinpath("original_reports_v1.json").read_text("utf-8"))
VARIANTS = {
    "original": [
        ("MATERIAL", 5, "MaterialWarehouseInvalidProductsReport", "goods_group", ["3"]),
        ("ZBOZI", 4, "ProductsProductWarehouseInvalidProductsReport", "goods_group", ["8", "1"]),
        ("POLOTOVARY", 20, "SemiProductsWarehouseInvalidProductsReport", "goods_group", ["7"]),
    ],
    "by_code_and_type": [
        ("MATERIAL", None, "Material by code", "goods_group", ["MATERIAL"]),
        ("ZBOZI", 4, "Goods by product type", "product_type", ["zbozi", "typZasoby.vyrobek"]),
        ("POLOTOVARY", None, "", "goods_group", ["7", "POLOTOVAR"]),
    ],
}
ODD_ROWS = {  # the same row overrides the golden file was made with
    ("MATERIAL", 19): {"stavMJ": "2.5", "mj1": [{"kod": "KG"}]},
    ("MATERIAL", 36): {"stavMJ": "0.125", "mj1": []},
    ("MATERIAL", 38): {"stavMJ": "1234567.0"},
    ("MATERIAL", 34): {"stavMJ": "1e-7"},
    ("ZBOZI", 7): {"stavMJ": "-3", "mj1": [{"kod": "m"}]},
    ("ZBOZI", 8): {"skupZboz": [], "stavMJ": "7"},
    ("POLOTOVARY", 15): {
        "stavMJ": "0.1",
        "cenik": [{"id": "1", "kod": "P&<b>'x", "nazev": 'Ž "q"', "typZasobyK": "typZasoby.vyrobek"}],
    },
}


def golden(typing: str, variant: str, day: str) -> dict[str, dict[str, Any]]:
    cases = [c for c in GOLDEN["cases"] if (c["typing"], c["variant"], c["date"]) == (typing, variant, day)]
    return {case["warehouse"]: case for case in cases}


def as_case(outcome: CheckOutcome) -> dict[str, Any]:
    violations = [[v.product_code, v.product_name, v.goods_group, v.quantity, v.unit] for v in outcome.violations]
    return {
        "status": str(outcome.status),
        "report_name": outcome.report_name,
        "rows_read": outcome.rows_read,
        "message": outcome.message,
        "violations": violations,
    }


def set_rules(connection: Connection, rules: list[tuple[str, int | None, str, str, list[str]]]) -> None:
    WarehouseRule.objects.filter(connection=connection).delete()
    for code, warehouse_id, report, by, allowed in rules:
        WarehouseRule.objects.create(
            connection=connection,
            warehouse_code=code,
            warehouse_id=warehouse_id,
            report_name=report,
            classify_by=by,
            allowed=allowed,
        )


def run(connection: Connection, day: str, now: datetime) -> dict[str, dict[str, Any]]:
    context = CheckContext(uuid.uuid4(), "job", now, {"date": day}, connection=connection)
    return {o.warehouse: as_case(o) for o in registry.get(CHECK_NAME).run(context)}


@pytest.fixture(params=["string", "native"])
def erp(request: pytest.FixtureRequest, db: None) -> Iterator[FlexiServer]:
    server = FlexiServer(FlexiState(Company(), username="api", password="pw", typing=request.param)).start_in_thread()
    server.state.data.values.update(ODD_ROWS)
    with override_settings(CM_ERP_RETRIES=0):
        yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_definition_gives_the_v1_checks_results_byte_for_byte(erp: FlexiServer, variant: str) -> None:
    connection = connect_to(erp)
    set_rules(connection, VARIANTS[variant])
    for day in ("2026-03-02", "2026-11-29"):
        expected = golden(erp.state.typing, variant, day)
        found = run(connection, day, datetime(2026, 12, 1, tzinfo=UTC))
        assert found == {code: {key: case[key] for key in found[code]} for code, case in expected.items()}
    assert any("2.5kg" in case["message"] for case in found.values())  # the odd rows were there


def test_the_demo_company_gives_the_v1_checks_results(db: None) -> None:
    demo = Connection.objects.create(name="demo-v1", is_demo=True, company="demo", updated_at=timezone.now())
    set_rules(demo, VARIANTS["original"])
    expected = golden("demo", "original", "2026-12-01")
    found = run(demo, "2026-12-01", datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    assert found == {code: {key: case[key] for key in found[code]} for code, case in expected.items()}
    assert any(case["violations"] for case in found.values())


def test_the_librarys_file_is_the_definition_the_upgrade_installs(db: None) -> None:
    """A fresh installation and an upgraded one run the same definition; users copy the library's file."""
    import importlib

    from compliance_monitor.checks import library
    from compliance_monitor.checks.models import CheckDefinition

    upgrade = importlib.import_module("compliance_monitor.checks.migrations.0007_original_reports_as_definition")
    shipped = next(found for found in library.parsed() if found.name == CHECK_NAME)
    assert shipped.to_data() == upgrade.SPEC == CheckDefinition.objects.get(name=CHECK_NAME).spec
