"""The Flexi filter subset: every operator, precedence, relation paths, and the errors a check's author sees."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from compliance_monitor.erp import filters
from compliance_monitor.erp.filters import FilterError

TODAY = date(2026, 5, 1)
CARD: dict[str, Any] = {
    "id": 7,
    "stavMJ": -2.0,
    "minMJ": 5.0,
    "kod": "Zbo0001",
    "datSplat": "2026-04-15",
    "storno": False,
    "stavUhrK": None,
    "popis": "",
    "cenik": {"id": 4000001, "kod": "ZBO00001", "typZasobyK": "typZasoby.vyrobek", "skupZboz": {"id": 8, "kod": "VYR"}},
    "skupZboz": None,
}


def keeps(text: str, row: dict[str, Any] = CARD) -> bool:
    return filters.parse(text, today=TODAY).matches(row)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stavMJ = -2", True),
        ("stavMJ == -2.0", True),
        ("stavMJ eq 3", False),
        ("stavMJ <> -2", False),
        ("stavMJ != 3", True),
        ("stavMJ ne 3", True),
        ("stavMJ neq -2", False),
        ("stavMJ < 0", True),
        ("stavMJ lt -2", False),
        ("stavMJ <= -2", True),
        ("stavMJ lte -3", False),
        ("minMJ > 4.5", True),
        ("minMJ gt 5", False),
        ("minMJ >= 5", True),
        ("minMJ gte 6", False),
        ("kod like 'zbo'", True),
        ("kod LIKE 'xyz'", False),
        ("kod begins 'Zbo'", True),
        ("kod begins 'zbo'", False),
        ("kod ends '0001'", True),
        ("kod in ('A', 'Zbo0001', 'B')", True),
        ("stavMJ in (1, 2)", False),
        ("stavMJ between -3 0", True),
        ("minMJ between 5 5", True),
        ("minMJ between 6 9", False),
        ("stavUhrK is null", True),
        ("popis is null", True),
        ("kod is not null", True),
        ("storno is false", True),
        ("storno is true", False),
        ("storno is not true", True),
        ("storno = false", True),
    ],
)
def test_each_operator_of_the_subset_compares_like_flexi(text: str, expected: bool) -> None:
    assert keeps(text) is expected


def test_comparison_binds_tighter_than_not_than_and_than_or() -> None:
    assert keeps("stavMJ > 0 and minMJ > 0 or kod = 'Zbo0001'")  # (false and true) or true
    assert not keeps("stavMJ > 0 and (minMJ > 0 or kod = 'Zbo0001')")
    assert keeps("kod = 'Zbo0001' or stavMJ > 0 and minMJ > 100")  # true or (false and false)
    assert not keeps("not stavMJ < 0 and minMJ > 0")  # (not true) and true
    assert keeps("not (stavMJ < 0 and minMJ > 100)")
    assert keeps("NOT(stavMJ > 0) AND Not(minMJ < 0)")


def test_relations_compare_by_code_or_id_and_paths_reach_the_related_record() -> None:
    assert keeps("cenik = 'code:ZBO00001'") and keeps("cenik = code:ZBO00001") and keeps("cenik = 4000001")
    assert not keeps("cenik = code:ZBO00002") and keeps("cenik in (code:X, code:ZBO00001)")
    assert keeps("cenik.typZasobyK = 'typZasoby.vyrobek'") and keeps("cenik.kod begins 'ZBO'")
    assert keeps("cenik.skupZboz = code:VYR") and keeps("cenik.skupZboz.id = 8")
    assert keeps("skupZboz is null") and not keeps("skupZboz = code:VYR")


def test_a_missing_value_satisfies_no_comparison_not_even_not_equal() -> None:
    assert not keeps("stavUhrK <> 'stavUhr.uhrazeno'") and not keeps("skupZboz <> code:VYR")
    assert not keeps("stavUhrK like 'x'") and not keeps("stavUhrK in ('stavUhr.castUhr')")


def test_dates_compare_as_iso_strings_and_now_is_the_servers_today() -> None:
    assert keeps("datSplat < now()") and keeps("datSplat >= '2026-04-15'") and not keeps("datSplat > now()")
    assert not keeps("datSplat < now()", {**CARD, "datSplat": "2026-05-01"})


def test_quoted_strings_take_either_quote_and_backslash_escapes() -> None:
    row = {**CARD, "kod": 'it\'s "odd"'}
    assert keeps("kod = 'it\\'s \"odd\"'", row) and keeps('kod = "it\'s \\"odd\\""', row)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("stavMJ <", "position 8: expected a value, found the end"),
        ("stavMJ 5", "position 7: expected an operator after 'stavMJ'"),
        ("(stavMJ = 1", "position 11: expected )"),
        ("stavMJ = 1 2", "position 11: expected the end of the filter"),
        ("kod = 'open", "an unterminated string at position 6"),
        ("kod = #", "an unexpected character '#' at position 6"),
        ("stavMJ is maybe", "expected null, true or false after 'is'"),
        ("= 1", "position 0: expected a field"),
    ],
)
def test_a_syntax_error_names_its_position(text: str, words: str) -> None:
    with pytest.raises(FilterError, match=re.escape(words)) as raised:
        filters.parse(text)
    assert not raised.value.unsupported


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("skupZboz in subtree 3", "'in subtree' is not supported by this server"),
        ("nazev similar 'abc'", "'similar' is not supported by this server"),
        ("uzivatel = me()", r"me\(\) is not supported by this server"),
    ],
)
def test_flexi_syntax_outside_the_subset_is_refused_as_unsupported(text: str, words: str) -> None:
    with pytest.raises(FilterError, match=words) as raised:
        filters.parse(text)
    assert raised.value.unsupported


def test_an_unknown_field_is_refused_by_name() -> None:
    known = {("stavMJ",), ("cenik",), ("cenik", "kod")}.__contains__
    assert filters.parse("cenik.kod = 'A' and stavMJ > 0", known).paths == {("cenik", "kod"), ("stavMJ",)}
    with pytest.raises(FilterError, match=re.escape("Unknown field 'cenik.nazev' in the filter (position 15)")):
        filters.parse("stavMJ > 0 and cenik.nazev = 'x'", known)


def test_top_level_conjuncts_are_kept_apart_unless_an_or_joins_them() -> None:
    parts = filters.parse("a = 1 and (b = 2 or c = 3) and not d = 4").parts
    assert [paths for paths, _ in parts] == [{("a",)}, {("b",), ("c",)}, {("d",)}]
    assert [paths for paths, _ in filters.parse("a = 1 and b = 2 or c = 3").parts] == [{("a",), ("b",), ("c",)}]


@pytest.mark.parametrize("text", ["period = 1", "period = 1 and n > 2", "n > 2 and period = 0", "period = 1 or n = 0"])
def test_testing_constant_fields_once_a_run_finds_what_testing_every_row_finds(text: str) -> None:
    rows = [{"period": index // 10, "n": index % 5} for index in range(35)]
    flt = filters.parse(text)
    by_runs = filters.matching(len(rows), rows.__getitem__, flt, run=10, constant=frozenset({"period"}))
    assert list(by_runs) == [index for index, row in enumerate(rows) if flt.matches(row)]
