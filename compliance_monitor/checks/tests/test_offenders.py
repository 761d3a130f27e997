"""A page's offenders built field by field (checks/offenders.py) are the violations row by row would build — or it
raises, and each row is built (and a bad one named) by itself.

Broken once each to watch these fail (all caught): the identity check dropped, the name cut at 100 instead of
300, the unit's "ks" default lost, the message values read in another order.
"""

from __future__ import annotations

import json
import random
from datetime import date
from typing import Any

import pytest

from compliance_monitor.checks import offenders
from compliance_monitor.checks.base import NO_DETAIL
from compliance_monitor.checks.defined import DefinedCheck, ScopePlan, ScopeRead
from compliance_monitor.checks.definition import parse
from compliance_monitor.checks.predicate import RowError
from compliance_monitor.erp import properties

FIELDS = {**properties.parse(properties.local_answer("skladova-karta"), "skladova-karta"), "poznam": "text"}
BASE = {"name": "t.offenders", "title": "Offenders", "evidence": "skladova-karta", "predicate": "stavMJ < 0"}
DEFINITIONS = [
    {
        "identity": ["cenik.kod"],
        "label": "cenik.nazev",
        "quantity": "stavMJ",
        "message": "{cenik.kod} ({stavMJ} < {minMJ})",
    },
    {"identity": ["cenik.kod"], "quantity": "stavMJ"},  # the original reports' "CODE (5ks)"
    {"identity": ["cenik.kod", "sklad"], "label": "cenik.nazev", "unit": "ucetObdobi", "detail": ["minMJ", "sklad"]},
    {"identity": ["cenik.kod"], "group": "sklad", "message": "{{{cenik.kod}}} } {stavMJ}"},
    {
        "identity": ["poznam", "id"],
        "label": "poznam",
        "message": "{id}: {poznam} {{}} {minMJ} {cenik.nazev}",
        "detail": ["poznam"],
    },
]
ODD_RELATIONS = [[], [{}], {"kod": "P1", "nazev": "x"}, "code:P1", [{"kod": 5, "nazev": None}], [{"nazev": "n"}], None]
ODD_RELATIONS += [[{"kod": True, "nazev": {"kod": "x"}}], [{"kod": "P1", "nazev": 2.0}]]


def scope_of(extra: dict[str, Any]) -> ScopeRead:
    check = DefinedCheck(parse({**BASE, **extra}, lambda evidence: FIELDS), 1)
    return check.scope_read(ScopePlan("*", "*"), FIELDS, {"today": date(2026, 3, 2)})


def a_row(chance: random.Random, odd: bool) -> dict[str, Any]:
    """A row as Flexi sends it; ``odd``: now and then what only the accessors row by row decide — an empty or
    unexpanded relation, a native number, an empty or missing field — or a number given as a float."""
    code = chance.choice(["P1", "P2", "VYR101", ""] if odd else ["P1", "P2", "VYR101"])
    row = {
        "id": str(chance.randrange(1000)),
        "cenik": [{"kod": code, "nazev": chance.choice(["Šroub", "x" * 400, ""])}],
        "stavMJ": chance.choice(["-2.5", "-1", "-0.25", "-1e1", "0", "-0"] + (["", "abc", -2.0] if odd else [])),
        "minMJ": chance.choice(["0", "3.0", "12"] + ([7, "NaN"] if odd else [])),
        "sklad": chance.choice(["code:ZBOZI", [{"kod": "MAT", "id": "3"}], ""]),
        "ucetObdobi": chance.choice(["code:KS", [{"kod": "KG"}], ""]),
        "poznam": chance.choice(["A-1", "pozn. <b>", "Ž" * 250] + (["", None, 3] if odd else [])),
    }
    if odd and chance.random() < 0.2:
        row["cenik"] = chance.choice(ODD_RELATIONS)
    if odd and chance.random() < 0.1:
        del row[chance.choice(["poznam", "stavMJ", "cenik", "id"])]
    return row


@pytest.mark.parametrize("extra", DEFINITIONS, ids=lambda extra: "+".join(extra))
@pytest.mark.parametrize("odd", [False, True])
def test_offenders_at_once_are_the_violations_row_by_row_builds(extra: dict[str, Any], odd: bool) -> None:
    scope = scope_of(extra)
    chance = random.Random(f"{extra}{odd}")
    for _ in range(50):
        rows = [a_row(chance, odd) for _ in range(chance.choice([1, 3, 20]))]
        try:
            expected: list[Any] | RowError = [scope.violation(row) for row in rows]
        except RowError as exc:
            expected = exc
        try:
            built = offenders.violations(scope, "*", rows)
        except Exception:  # noqa: BLE001 — the caller builds them row by row
            continue
        assert not isinstance(expected, RowError), f"built a violation row by row rejects: {expected}"
        assert built == expected


def test_clean_offenders_are_built_at_once() -> None:
    scope = scope_of(DEFINITIONS[0])
    rows = [a_row(random.Random(seed), odd=False) for seed in range(30)]
    assert offenders.violations(scope, "*", rows) == [scope.violation(row) for row in rows]


def test_a_message_without_fields_is_built_at_once_too() -> None:
    scope = scope_of({"identity": ["cenik.kod"], "message": "Negative stock {{here}}"})
    rows = [a_row(random.Random(seed), odd=False) for seed in range(5)]
    built = offenders.violations(scope, "*", rows)
    assert built == [scope.violation(row) for row in rows]
    assert {violation.text for violation in built} == {"Negative stock {here}"}


def test_judging_a_page_at_once_gives_the_verdict_row_by_row_gives() -> None:
    """Count, violations, unjudged rows and their examples alike — with clean pages, pages only the row closures
    can judge, and offenders only row by row can describe."""
    scope = scope_of(DEFINITIONS[0])
    chance = random.Random(7)
    for odd in (False, True) * 20:
        page = [a_row(chance, odd) for _ in range(chance.choice([1, 10, 50]))]
        assert scope.judge(page) == scope.judge_rows(page)


def test_offenders_in_mappings_other_than_plain_dicts_are_read_as_the_accessors_read_them() -> None:
    """A mapping inventing missing keys (a defaultdict) is read by get(), as row by row: an absent text is empty."""
    from collections import defaultdict

    scope = scope_of({"identity": ["cenik.kod"], "message": "{poznam} {stavMJ}", "detail": ["poznam"]})
    row = a_row(random.Random(1), odd=False)
    del row["poznam"]
    rows = [a_row(random.Random(2), odd=False), defaultdict(lambda: "made up", row)]
    assert offenders.violations(scope, "*", rows) == [scope.violation(row) for row in rows]
    assert "made up" not in offenders.violations(scope, "*", rows)[1].text


def test_violations_without_detail_share_one_read_only_empty_detail_equal_to_an_empty_dict() -> None:
    scope = scope_of(DEFINITIONS[0])
    built = offenders.violations(scope, "*", [a_row(random.Random(seed), odd=False) for seed in range(3)])
    assert all(violation.detail is NO_DETAIL for violation in built)
    assert built[0].detail == {} and json.dumps(built[0].detail) == "{}"
    with pytest.raises(TypeError, match="read-only"):
        built[0].detail["culprit"] = "x"
    assert scope.violation(a_row(random.Random(1), odd=False)).detail is NO_DETAIL
