"""A predicate over a whole page (checks/columns.py) says what the row closures say, row for row — or hands the page
back to them; it never passes a row they would call a data error.

Broken once each to watch these fail (all caught): ``both`` computing its right side on every row, or returning
its left side when that holds everywhere; ``either`` merging the wrong way round; ``compare_constant`` with its
operands swapped; the number column without its finiteness or its text-only test.
"""

from __future__ import annotations

import random
import sys
from typing import Any

import pytest

from compliance_monitor.checks.columns import Unusual, numbers_of
from compliance_monitor.checks.predicate import FieldType, RowError, compile_predicate

FIELDS: dict[str, FieldType] = {
    "a": "numeric",
    "b": "numeric",
    "t": "text",
    "d": "date",
    "l": "logic",
    "r": "relation",
}
PREDICATES = [
    "a > 0 && b < a",
    "a < 0 || b >= 2",
    "1 < a",
    "!(a == b)",
    "a + b > 3 && -a < 1",
    "t in ['x', 'y']",
    "t not in ['x'] && a <= 2",
    "t is null || a > 4",
    "t is not null && (b > 1 || a < -1)",
    "d < '2026-01-01'",
    "l && a > 1",
    "!l || b != 2",
    "r.kod == 'K1'",
    "r is null",
    "a",
    "a > 1 && (t == 'x' || b < 2) && !l",
]
NUMBERS = ["1", "2.5", "-3", "0", "4", "2", "7.25", "-1.5"]
ODD_NUMBERS = ["", "NaN", "inf", "abc", None, 3, 2.0, True, {"x": 1}]


def a_row(chance: random.Random, odd: float) -> dict[str, Any]:
    row: dict[str, Any] = {"id": str(chance.randrange(10**6))}
    for name in ("a", "b"):
        if chance.random() < odd:
            if chance.random() < 0.2:
                continue  # missing from the answer
            row[name] = chance.choice(ODD_NUMBERS)
        else:
            row[name] = chance.choice(NUMBERS)
    row["t"] = chance.choice(["x", "y", "z", "", None])
    row["d"] = chance.choice(["2025-12-31", "2026-03-01+01:00", "", "soon"] if odd else ["2025-12-31", "2026-03-01"])
    row["l"] = chance.choice(["true", "false"] + (["maybe"] if odd else []))
    row["r"] = chance.choice([[{"kod": "K1"}], [{"kod": "K2"}], "code:K1", "", [{}]])
    return row


def row_by_row(test: Any, page: list[dict[str, Any]]) -> list[dict[str, Any]] | RowError:
    found = []
    for row in page:
        try:
            if test(row):
                found.append(row)
        except RowError as exc:
            return exc
    return found


@pytest.mark.parametrize("source", PREDICATES)
@pytest.mark.parametrize("odd", [0.0, 0.05, 0.4])
def test_a_page_selects_exactly_the_rows_the_row_closures_select_or_hands_the_page_back(
    source: str, odd: float
) -> None:
    predicate = compile_predicate(source, FIELDS)
    chance = random.Random(f"{source}{odd}")
    for _ in range(60):
        page = [a_row(chance, odd) for _ in range(chance.choice([1, 5, 40]))]
        expected = row_by_row(predicate.test, page)
        try:
            selected = predicate.select(page)
        except Exception:  # noqa: BLE001 — handed back: the row closures judge it
            continue
        assert not isinstance(expected, RowError), f"{source}: the page passed a row the closures reject: {expected}"
        assert selected == expected, source


@pytest.mark.parametrize("source", ["a > 0 && b < a", "a < 0 || b >= 2", "t in ['x'] && a > 1", "!(a >= b)"])
def test_a_clean_page_of_numeric_texts_is_judged_whole_without_the_row_closures(source: str) -> None:
    predicate = compile_predicate(source, FIELDS)
    page = [a_row(random.Random(seed), 0.0) for seed in range(200)]
    assert predicate.select(page) == row_by_row(predicate.test, page)


def test_the_right_side_of_and_is_not_read_where_the_left_side_already_fails() -> None:
    predicate = compile_predicate("a > 0 && b < 1", FIELDS)
    page = [{"a": "-1", "b": "NaN"}, {"a": "2", "b": "0.5"}, {"a": "-3", "b": ""}]
    assert predicate.select(page) == [page[1]]  # NaN and "" of b are never looked at, as row by row


def test_a_page_with_an_empty_number_is_handed_back_to_the_row_closures() -> None:
    predicate = compile_predicate("a < 1", FIELDS)
    with pytest.raises(ValueError, match="could not convert"):
        predicate.select([{"a": "2"}, {"a": ""}])  # "" is 0 to the closures: they decide
    assert [predicate.test(row) for row in ({"a": "2"}, {"a": ""})] == [False, True]


def test_judging_a_page_keeps_nothing_of_it() -> None:
    """A run compiles one predicate per scope: a page kept by each would hold a hundred pages (170 MiB, seen)."""
    predicate = compile_predicate("a > 0 && b < a", FIELDS)
    page = [{"a": "2", "b": "1"}, {"a": "3", "b": "1"}]
    before = sys.getrefcount(page)
    assert predicate.select(page) == page
    assert sys.getrefcount(page) == before


def test_a_page_of_mappings_other_than_plain_dicts_is_handed_back_to_the_row_closures() -> None:
    """A mapping that makes up missing keys (a defaultdict) must not pass a row the closures call incomplete: only
    a plain dict's subscript reads what their get() reads."""
    from collections import defaultdict

    predicate = compile_predicate("a > 0", FIELDS)
    page = [{"a": "2"}, defaultdict(lambda: "1", {"b": "2"})]
    with pytest.raises(RowError, match="missing"):
        predicate.test(page[1])
    with pytest.raises(Unusual):
        predicate.select(page)  # handed back to the row closures


def test_a_number_column_converts_each_distinct_text_once_and_gives_what_float_gives() -> None:
    repeated = ["5.0", "-2", "5.0", "1e3", "-2", "5.0", "0.25", "5.0"]
    assert numbers_of(repeated) == [float(text) for text in repeated]
    distinct = [str(n / 7) for n in range(50)]
    assert numbers_of(distinct) == [float(text) for text in distinct]
    for odd in (["1", "1", "1", "inf"], ["1", "1", "1", "nan"], ["2", "2", "2", ""], ["1", "1", None]):
        with pytest.raises((Unusual, ValueError, TypeError)):
            numbers_of(odd)
