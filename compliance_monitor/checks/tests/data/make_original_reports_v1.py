"""Wrote original_reports_v1.json with the v1 warehouse check (run as a pytest file, before checks/warehouse.py
became a definition); kept in history only: the code it calls is gone in the next commit."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from django.test import override_settings

from compliance_monitor.checks.models import ClassifyBy, WarehouseRule
from compliance_monitor.checks.warehouse import Rule
from compliance_monitor.erp import sources
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from tests.erp_connection import connect_to

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
ODD_ROWS = {  # row overrides: decimals, units, no group
    ("MATERIAL", 19): {"stavMJ": "2.5", "mj1": [{"kod": "KG"}]},
    ("MATERIAL", 36): {"stavMJ": "0.125", "mj1": []},
    ("MATERIAL", 38): {"stavMJ": "1234567.0"},
    ("MATERIAL", 34): {"stavMJ": "1e-7"},
    ("ZBOZI", 7): {"stavMJ": "-3", "mj1": [{"kod": "m"}]},
    ("ZBOZI", 8): {"skupZboz": [], "stavMJ": "7"},
    ("POLOTOVARY", 15): {"stavMJ": "0.1", "cenik": [{"id": "1", "kod": "P&<b>'x", "nazev": "Ž \"q\"", "typZasobyK": "typZasoby.vyrobek"}]},
}


def test_write_golden(db, tmp_path):
    out = {"generated_by": "checks/warehouse.py (the v1 check, commit fb32910)", "cases": []}
    for typing in ("string", "native"):
        server = FlexiServer(FlexiState(Company(), username="api", password="pw", typing=typing)).start_in_thread()
        server.state.data.values.update(ODD_ROWS)
        try:
            with override_settings(CM_ERP_RETRIES=0):
                connection = connect_to(server)
                for variant, rules in VARIANTS.items():
                    for on in (date(2026, 3, 2), date(2026, 11, 29)):
                        source = sources.open_source(connection, datetime(2026, 12, 1, tzinfo=UTC))
                        for code, wid, report, by, allowed in rules:
                            rule = Rule.of(WarehouseRule(connection=connection, warehouse_code=code, warehouse_id=wid,
                                                         report_name=report, classify_by=by, allowed=allowed))
                            o = rule.evaluate(source.stock(rule.query, on))
                            out["cases"].append({
                                "typing": typing, "variant": variant, "date": on.isoformat(), "warehouse": code,
                                "status": str(o.status), "report_name": o.report_name, "rows_read": o.rows_read,
                                "message": o.message,
                                "violations": [[v.product_code, v.product_name, v.goods_group, v.quantity, v.unit]
                                               for v in o.violations],
                            })
                        source.close()
        finally:
            server.shutdown()
            server.server_close()
    demo = sources.DemoSource(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    for code, wid, report, by, allowed in VARIANTS["original"]:
        rule = Rule.of(WarehouseRule(warehouse_code=code, warehouse_id=wid, report_name=report, classify_by=by, allowed=allowed))
        o = rule.evaluate(demo.stock(rule.query, date(2026, 12, 1)))
        out["cases"].append({
            "typing": "demo", "variant": "original", "date": "2026-12-01", "warehouse": code,
            "status": str(o.status), "report_name": o.report_name, "rows_read": o.rows_read, "message": o.message,
            "violations": [[v.product_code, v.product_name, v.goods_group, v.quantity, v.unit] for v in o.violations],
        })
    Path(__file__).with_name("data").joinpath("original_reports_v1.json").write_text(
        json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
