"""The original three reports as default warehouse rules (reference/abra-flexi.md)."""

from __future__ import annotations

from typing import Any

DEFAULT_RULES = (
    # warehouse code, Flexi id, original report, allowed goods groups (skupZboz ids)
    ("MATERIAL", 5, "MaterialWarehouseInvalidProductsReport", ["3"]),
    ("ZBOZI", 4, "ProductsProductWarehouseInvalidProductsReport", ["8", "1"]),
    ("POLOTOVARY", 20, "SemiProductsWarehouseInvalidProductsReport", ["7"]),
)


def ensure_default_rules(rule_model: Any) -> None:
    """Create the default rules that are missing; an existing rule is never changed.

    Takes the model class so the data migration can pass its historical model.
    """
    for code, warehouse_id, report, allowed in DEFAULT_RULES:
        rule_model.objects.get_or_create(
            warehouse_code=code,
            defaults={"warehouse_id": warehouse_id, "report_name": report, "allowed": allowed},
        )
