"""Issue 12: a check definition is parsed and validated before any run; every mistake names its field."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from compliance_monitor.checks import library
from compliance_monitor.checks.definition import DefinitionError, Thresholds, parse
from compliance_monitor.erp import properties


def local_fields(evidence: str) -> Any:
    try:
        return properties.parse(properties.local_answer(evidence), evidence)
    except properties.UnknownEvidenceError:
        return None


NEGATIVE = {
    "name": "stock.negative_zbozi",
    "title": {"en": "Negative stock in ZBOZI", "cs": "Záporný stav ve skladu ZBOZI"},
    "evidence": "skladova-karta",
    "filter": "ucetObdobi = ${period}",
    "scope": {"field": "sklad", "values": ["ZBOZI"]},
    "predicate": "stavMJ < 0",
    "identity": ["cenik.kod"],
    "quantity": "stavMJ",
    "message": "{cenik.kod} ({stavMJ}ks)",
}


def errors_of(**changes: Any) -> dict[str, list[str]]:
    data = {key: value for key, value in {**NEGATIVE, **changes}.items() if value is not None}
    with pytest.raises(DefinitionError) as caught:
        parse(data, local_fields)
    return caught.value.errors


def test_every_shipped_definition_survives_a_yaml_round_trip_unchanged() -> None:
    for definition in library.parsed():
        text = yaml.safe_dump(definition.to_data(), sort_keys=False, allow_unicode=True)
        assert parse(yaml.safe_load(text), local_fields) == definition
        assert yaml.safe_load(text) == definition.to_data()


def test_the_library_ships_each_rule_the_issue_names_in_czech_and_english() -> None:
    shipped = {definition.name: definition for definition in library.parsed()}
    assert set(shipped) >= {
        "stock.negative",
        "stock.below_minimum",
        "stock.above_maximum",
        "product.no_goods_group",
        "product.type_contradicts_group",
        "invoice.overdue_unpaid",
    }
    assert all(set(d.title) == {"en", "cs"} and set(d.description) == {"en", "cs"} for d in shipped.values())


def test_a_definition_keeps_what_it_was_given_and_defaults_the_rest() -> None:
    definition = parse(NEGATIVE, local_fields)
    assert definition.scope is not None and definition.scope.values == ("ZBOZI",)
    assert definition.thresholds == Thresholds(10, 5, 0) and definition.read == "whole" and definition.enabled
    assert definition.paths() == ["cenik.kod", "stavMJ"]
    assert definition.title_in("cs") == "Záporný stav ve skladu ZBOZI"


def test_a_predicate_syntax_error_names_the_field_and_its_column() -> None:
    errors = errors_of(predicate="stavMJ < ")
    assert list(errors) == ["predicate"] and "at column 9" in errors["predicate"][0]


def test_an_unknown_field_is_refused_wherever_it_is_named() -> None:
    assert "unknown field 'stavMX'" in errors_of(predicate="stavMX < 0")["predicate"][0]
    assert errors_of(identity=["kodd"]) == {"identity": ["unknown field 'kodd'"]}
    assert errors_of(message="{cenik.kod} ({mnozstvi})")["message"][0].endswith("unknown field 'mnozstvi'")
    assert errors_of(quantity="cenik") == {"quantity": ["'cenik' is not a numeric field of skladova-karta"]}


def test_an_unknown_evidence_is_refused_before_its_fields_are_looked_at() -> None:
    assert errors_of(evidence="skladova-kartaa") == {"evidence": ["unknown evidence 'skladova-kartaa'"]}


def test_unknown_placeholders_are_refused_in_the_filter_and_the_predicate() -> None:
    assert "unknown placeholder ${perioda}" in errors_of(filter="ucetObdobi = ${perioda}")["filter"][0]
    assert "unknown placeholder ${limit}" in errors_of(predicate="stavMJ < ${limit}")["predicate"][0]
    assert parse({**NEGATIVE, "predicate": "stavMJ < ${limit}", "parameters": {"limit": 0}}, local_fields)


def test_thresholds_out_of_order_are_refused() -> None:
    errors = errors_of(thresholds={"critical": 3, "high": 5})
    assert list(errors) == ["thresholds"] and "out of order" in errors["thresholds"][0]
    assert "whole number" in errors_of(thresholds={"critical": "ten"})["thresholds"][0]
    assert parse({**NEGATIVE, "thresholds": {"critical": 0, "high": 0, "medium": 0}}, local_fields)


def test_every_problem_is_reported_at_once_not_only_the_first() -> None:
    errors = errors_of(name="Bad Name", title=None, read="sometimes", colour="red")
    assert set(errors) == {"name", "title", "read", "colour"}
    assert errors["title"] == ["is required"] and errors["colour"][0].startswith("unknown field")


def test_a_scope_must_be_a_relation_of_the_evidence() -> None:
    assert errors_of(scope={"field": "stavMJ", "values": ["1"]}) == {
        "scope": ["'stavMJ' is not a relation of skladova-karta"]
    }
    assert "must be" in errors_of(scope=["ZBOZI"])["scope"][0]
    assert "only for field sklad" in errors_of(scope={"field": "cenik", "values": "all"})["scope"][0]


def test_parameters_may_not_hide_the_built_in_placeholders() -> None:
    assert "built-in" in errors_of(parameters={"today": "2026-01-01"})["parameters"][0]


def test_a_parameter_that_is_not_a_finite_number_is_refused() -> None:
    for bad in (float("nan"), float("inf")):
        assert "parameters" in errors_of(predicate="stavMJ < ${limit}", parameters={"limit": bad})


def test_a_filter_that_could_change_shape_is_refused() -> None:
    assert "inside quotes" in errors_of(filter="kod begins '${period}'")["filter"][0]
    assert "no '('" in errors_of(filter="stavMJ > 1) or (stavMJ < 5")["filter"][0]
    assert "not closed" in errors_of(filter="(stavMJ > 1")["filter"][0]
    assert "not closed" in errors_of(filter="kod = 'abc")["filter"][0]
    assert parse({**NEGATIVE, "filter": "kod = 'a(b' and (stavMJ > 1)"}, local_fields).filter
