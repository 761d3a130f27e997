"""The original reports' rule, row by row: the shipped definition warehouse.product_types judging stock rows with
a warehouse rule's own ${allowed} and ${by_type}, as each run does (checks/defined.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from compliance_monitor.checks import defined, library
from compliance_monitor.checks.base import CheckOutcome
from compliance_monitor.checks.models import ClassifyBy, WarehouseRule
from compliance_monitor.checks.warehouse import CHECK_NAME, Rule, active_rules
from compliance_monitor.erp import properties
from compliance_monitor.erp.connections import implied_connection

MATERIAL_RULE = Rule(
    "MATERIAL", "5", "MaterialWarehouseInvalidProductsReport", ClassifyBy.GOODS_GROUP, frozenset({"3"})
)
STOCK = "stav-skladu-k-datu"


def row(
    code: str = "P1", group: str = "3", group_code: str = "", quantity: float = 5, product_type: str = ""
) -> dict[str, Any]:
    """A stock row as Flexi sends it (string-typed, relations expanded)."""
    product = {"id": "1", "kod": code, "nazev": f"name {code}", "typZasobyK": product_type}
    groups = [{"id": group, "kod": group_code, "nazev": ""}] if group or group_code else []
    return {"id": "1", "stavMJ": str(quantity), "cenik": [product], "skupZboz": groups, "mj1": [{"kod": "KS"}]}


def evaluate(rule: Rule, rows: list[dict[str, Any]]) -> CheckOutcome:
    definition = next(found for found in library.parsed() if found.name == CHECK_NAME)
    fields = properties.parse(properties.local_answer(STOCK), STOCK)
    scope = defined.DefinedCheck(definition, 1).scope_read(defined.rule_plan(rule), fields, {"today": date(2026, 3, 2)})
    return scope.evaluate(rows)


class Judged:
    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def violates(self, one: dict[str, Any]) -> bool:
        return bool(evaluate(self.rule, [one]).violations)

    def evaluate(self, rows: list[dict[str, Any]]) -> CheckOutcome:
        return evaluate(self.rule, rows)


def test_a_row_of_an_allowed_group_passes() -> None:
    assert not Judged(MATERIAL_RULE).violates(row(group="3"))


def test_a_row_of_another_group_with_stock_violates() -> None:
    assert Judged(MATERIAL_RULE).violates(row(group="8"))


def test_zero_or_negative_stock_is_not_a_violation() -> None:
    assert not Judged(MATERIAL_RULE).violates(row(group="8", quantity=0))
    assert not Judged(MATERIAL_RULE).violates(row(group="8", quantity=-2))


def test_a_row_without_a_goods_group_is_not_a_violation() -> None:
    assert not Judged(MATERIAL_RULE).violates(row(group="", quantity=10))


def test_allowed_groups_may_be_given_by_code() -> None:
    by_code = Judged(Rule("MATERIAL", "MATERIAL", "", ClassifyBy.GOODS_GROUP, frozenset({"MATERIAL"})))
    assert not by_code.violates(row(group="3", group_code="MATERIAL"))
    assert by_code.violates(row(group="7", group_code="POLOTOVAR"))


def test_products_may_be_classified_by_their_card_type_instead() -> None:
    model = WarehouseRule(warehouse_code="MATERIAL", classify_by=ClassifyBy.PRODUCT_TYPE, allowed=["material"])
    rule = Judged(Rule.of(model))
    assert not rule.violates(row(group="8", product_type="typZasoby.material"))
    assert rule.violates(row(group="3", product_type="typZasoby.vyrobek"))
    assert not rule.violates(row(product_type=""))


def test_the_legacy_message_lists_offenders_with_quantities() -> None:
    outcome = Judged(MATERIAL_RULE).evaluate(
        [row("PROD001", "8", quantity=5), row("OK", "3"), row("PROD002", "7", quantity=3)]
    )
    assert outcome.message == "PROD001 (5ks), PROD002 (3ks)"
    assert (outcome.report_name, outcome.is_success, len(outcome.violations)) == (
        "MaterialWarehouseInvalidProductsReport",
        False,
        2,
    )


def test_a_passing_report_has_no_message() -> None:
    outcome: CheckOutcome = Judged(MATERIAL_RULE).evaluate([row(group="3")])
    assert outcome.is_success and outcome.message == ""


def test_fractional_quantities_keep_their_precision_in_the_message() -> None:
    assert Judged(MATERIAL_RULE).evaluate([row("P9", "8", quantity=2.5)]).message == "P9 (2.5ks)"


def test_the_defaults_reproduce_the_three_original_reports(db: None) -> None:
    rules = {r.warehouse: r for r in active_rules(implied_connection())}
    assert {code: (r.query, sorted(r.allowed), r.report_name) for code, r in rules.items()} == {
        "MATERIAL": ("5", ["3"], "MaterialWarehouseInvalidProductsReport"),
        "ZBOZI": ("4", ["1", "8"], "ProductsProductWarehouseInvalidProductsReport"),
        "POLOTOVARY": ("20", ["7"], "SemiProductsWarehouseInvalidProductsReport"),
    }


def test_a_warehouse_subset_selects_rules_by_code_or_id(db: None) -> None:
    assert [r.warehouse for r in active_rules(implied_connection(), ["MATERIAL", "20"])] == ["MATERIAL", "POLOTOVARY"]


def test_an_unknown_warehouse_is_an_error_naming_it(db: None) -> None:
    with pytest.raises(ValidationError, match="unknown warehouse\\(s\\) NOWHERE; configured: MATERIAL"):
        active_rules(implied_connection(), ["MATERIAL", "NOWHERE"])


def test_a_disabled_rule_is_not_evaluated(db: None) -> None:
    WarehouseRule.objects.filter(warehouse_code="ZBOZI").update(enabled=False)
    assert [r.warehouse for r in active_rules(implied_connection())] == ["MATERIAL", "POLOTOVARY"]


def test_the_demo_stock_drifts_so_violations_come_and_go() -> None:
    from compliance_monitor.erp.reads import RowRequest
    from compliance_monitor.erp.sources import DemoSource

    found = set()
    request = RowRequest(
        STOCK,
        detail="custom:id,cenik(kod),skupZboz(id,kod),stavMJ",
        includes="/stav-skladu-k-datu/cenik,/stav-skladu-k-datu/skupZboz",
        extra=(("sklad", "5"), ("datum", "2026-01-01")),
    )
    for hour in range(6):
        rows = list(DemoSource(datetime(2026, 1, 1, hour, tzinfo=UTC)).rows(request))
        found.add(tuple(v.product_code for v in Judged(MATERIAL_RULE).evaluate(rows).violations))
    assert len(found) > 2 and any(found)


def test_with_no_rule_enabled_the_check_refuses_to_pass_silently(db: None) -> None:
    WarehouseRule.objects.update(enabled=False)
    with pytest.raises(ValidationError, match="no warehouse rule is enabled"):
        active_rules(implied_connection())
