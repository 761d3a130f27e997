"""Issue 15: a wrong check definition is explained in the request's language — Czech with the Czech catalog active,
English (byte for byte as before) otherwise; names, codes and what the user wrote stay as written. The Czech texts
come from ``django.po`` as it is now (the root conftest's ``czech_catalog``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation

from compliance_monitor.checks.definition import DefinitionError, parse
from compliance_monitor.erp import properties
from compliance_monitor.erp.connections import demo_title

WRONG = {
    "name": "stock.negative_zbozi",
    "title": "Negative stock in ZBOZI",
    "evidence": "skladova-karta",
    "predicate": "stavMJ < 0 )",
    "identity": ["cenik.kod"],
}


def local_fields(evidence: str) -> Any:
    try:
        return properties.parse(properties.local_answer(evidence), evidence)
    except properties.UnknownEvidenceError:
        return None


def errors_of(**changes: Any) -> dict[str, list[str]]:
    with pytest.raises(DefinitionError) as caught:
        parse({**WRONG, **changes}, local_fields)
    return caught.value.errors


def test_a_wrong_definition_is_explained_in_czech_and_in_english_as_before(czech_catalog: Path) -> None:
    with translation.override("cs"):
        assert errors_of(evidence="skladova-kartaa") == {"evidence": ["neznámá evidence 'skladova-kartaa'"]}
        assert errors_of() == {"predicate": ["neočekávané ')' na pozici 12: stavMJ < 0 ⟨zde⟩)"]}
    with translation.override("en"):
        assert errors_of(evidence="skladova-kartaa") == {"evidence": ["unknown evidence 'skladova-kartaa'"]}
        assert errors_of() == {"predicate": ["unexpected ')' at column 12: stavMJ < 0 ⟨here⟩)"]}


def test_the_demo_company_is_named_in_the_installations_language(czech_catalog: Path) -> None:
    with override_settings(LANGUAGE_CODE="cs"), translation.override("en"):
        assert demo_title() == "Vestavěná ukázková firma"
    with override_settings(LANGUAGE_CODE="en"), translation.override("cs"):
        assert demo_title() == "Built-in demo company"
