"""Row predicates: compiled once, judged per row, every mistake named with its column, never Python."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from compliance_monitor.checks.predicate import FieldType, PredicateError, RowError, compile_predicate

CARD: dict[str, FieldType] = {"stavMJ": "numeric", "minMJ": "numeric", "maxMJ": "numeric", "cenik": "relation"}
CENIK: dict[str, FieldType] = {"kod": "text", "skupZboz": "relation", "typZasobyK": "select", "skladove": "logic"}
INVOICE: dict[str, FieldType] = {"kod": "text", "datSplat": "date", "zbyvaUhradit": "numeric", "storno": "logic"}


def judge(source: str, row: dict[str, Any], fields: dict[str, FieldType] = CARD, **parameters: Any) -> bool:
    return compile_predicate(source, fields, parameters).test(row)


@pytest.mark.parametrize(
    ("stock", "verdict"), [("-2.5", True), ("0", False), ("0.0", False), ("3", False), ("", False), (None, False)]
)
def test_negative_stock_is_judged_on_the_number_flexi_sends_as_text(stock: object, verdict: bool) -> None:
    assert judge("stavMJ < 0", {"stavMJ": stock}) is verdict


@pytest.mark.parametrize(
    ("stock", "minimum", "verdict"), [("2", "5", True), ("5", "5", False), ("1", "0", False), ("7", "5", False)]
)
def test_below_minimum_where_a_minimum_of_zero_means_no_limit(stock: str, minimum: str, verdict: bool) -> None:
    assert judge("minMJ > 0 && stavMJ < minMJ", {"stavMJ": stock, "minMJ": minimum}) is verdict


def test_words_read_as_the_symbols_and_and_binds_tighter_than_or() -> None:
    row = {"stavMJ": "1", "minMJ": "0", "maxMJ": "0"}
    assert judge("stavMJ > 5 or stavMJ > 0 and not minMJ > 0", row) is True
    assert judge("(stavMJ > 5 || stavMJ > 0) && minMJ > 0", row) is False


def test_relation_fields_read_from_an_expanded_object_a_list_or_a_code_string() -> None:
    predicate = compile_predicate("skupZboz.kod == 'MAT'", CENIK)
    assert predicate.test({"skupZboz": [{"id": "3", "kod": "MAT"}]})
    assert predicate.test({"skupZboz": {"kod": "MAT"}})
    assert predicate.test({"skupZboz": "code:MAT"})
    assert not predicate.test({"skupZboz": "code:ZBOZI"})


def test_a_product_card_without_a_goods_group_is_null_however_flexi_leaves_it_out() -> None:
    predicate = compile_predicate("skupZboz is null", CENIK)
    assert [predicate.test(row) for row in ({}, {"skupZboz": ""}, {"skupZboz": []}, {"skupZboz": "code:X"})] == [
        True,
        True,
        True,
        False,
    ]
    assert judge("skupZboz is not null", {"skupZboz": [{"id": "1"}]}, CENIK) is True


def test_membership_in_a_list_of_constants_and_its_negation() -> None:
    source = "typZasobyK not in ['typZasoby.zbozi', 'typZasoby.vyrobek']"
    assert judge(source, {"typZasobyK": "typZasoby.material"}, CENIK) is True
    assert judge(source, {"typZasobyK": "typZasoby.zbozi"}, CENIK) is False
    assert judge("!(typZasobyK in ['typZasoby.zbozi'])", {"typZasobyK": "typZasoby.zbozi"}, CENIK) is False


def test_an_overdue_unpaid_invoice_compares_dates_with_a_placeholder_and_reads_logic_fields() -> None:
    source = "datSplat < ${today} && zbyvaUhradit > 0 && !storno"
    today = date(2026, 12, 2)
    assert judge(
        source, {"datSplat": "2026-11-30+01:00", "zbyvaUhradit": "120.5", "storno": "false"}, INVOICE, today=today
    )
    assert not judge(source, {"datSplat": "2026-12-02+01:00", "zbyvaUhradit": "120.5"}, INVOICE, today=today)
    assert not judge(source, {"datSplat": "2026-11-30", "zbyvaUhradit": "0.0"}, INVOICE, today=today)
    assert not judge(source, {"datSplat": "2026-11-30", "zbyvaUhradit": "9", "storno": "true"}, INVOICE, today=today)
    assert judge("datSplat <= '2026-11-30'", {"datSplat": "2026-11-30+01:00"}, INVOICE)


def test_arithmetic_chains_keep_each_operand() -> None:
    assert judge("stavMJ - minMJ + maxMJ == 6", {"stavMJ": "10", "minMJ": "7", "maxMJ": "3"}) is True
    assert judge("stavMJ < -1", {"stavMJ": "-2"}) is True


def test_the_predicate_says_which_fields_it_reads() -> None:
    assert compile_predicate("minMJ > 0 && stavMJ < minMJ", CARD).fields == {"minMJ", "stavMJ"}
    assert compile_predicate("cenik.kod == 'A'", CARD).fields == {
        "cenik.kod"
    }  # asked for by name: detail=custom:cenik(kod)


@pytest.mark.parametrize(
    ("source", "problem", "column"),
    [
        ("stavMJ < ", "unexpected 'end of the predicate'", 10),
        ("stavMJ & 0", "unexpected character '&'", 8),
        ("stavMJX < 0", "unknown field 'stavMJX' (known: cenik, datSplat, maxMJ, minMJ, stavMJ)", 1),
        ("datSplat < ${yesterday}", "unknown placeholder ${yesterday} (known: today)", 12),
        ("stavMJ < 'abc'", "cannot compare number with text", 8),
        ("(stavMJ < 0", "expected ')', found 'end of the predicate'", 12),
        ("stavMJ.kod == 'A'", "field 'stavMJ' is not a relation: it has no 'kod'", 8),
        ("__import__('os')", "unknown function '__import__': a predicate compares fields, it calls nothing", 1),
        ("stavMJ in [minMJ]", "a list holds constants only", 12),
        ("cenik.id == 1", "cannot compare text with number", 10),
    ],
)
def test_a_mistake_is_named_with_its_column_before_any_row_is_read(source: str, problem: str, column: int) -> None:
    fields = {**CARD, "datSplat": "date"}
    with pytest.raises(PredicateError) as caught:
        compile_predicate(source, fields, {"today": date(2026, 12, 2)})
    assert caught.value.problem == problem and caught.value.column == column
    assert f"at column {column}" in str(caught.value)


def test_a_date_that_is_no_date_is_refused_when_compiled() -> None:
    with pytest.raises(PredicateError, match=r"'2026-13-01' is not a date .* at column 12"):
        compile_predicate("datSplat < '2026-13-01'", INVOICE)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "abc", [1]])
def test_a_value_that_cannot_be_judged_is_a_row_error_never_a_pass(bad: object) -> None:
    with pytest.raises(RowError, match=r"field stavMJ is .* not a finite number"):
        judge("stavMJ < 0", {"stavMJ": bad})


def test_ordering_an_empty_text_is_a_row_error() -> None:
    with pytest.raises(RowError, match="'<' at column 5 meets an empty value"):
        judge("kod < 'M'", {}, CENIK)


def test_compiled_predicates_agree_with_the_same_rule_written_in_python_over_random_rows() -> None:
    rng = random.Random(12)
    source = "(minMJ > 0 && stavMJ < minMJ) || (maxMJ > 0 && stavMJ > maxMJ) || stavMJ < 0"
    predicate = compile_predicate(source, CARD)

    def by_hand(s: float, lo: float, hi: float) -> bool:
        return (lo > 0 and s < lo) or (hi > 0 and s > hi) or s < 0

    for _ in range(2000):
        s, lo, hi = (rng.choice([0, 0, rng.uniform(-5, 20)]) for _ in range(3))
        row = {"stavMJ": str(s), "minMJ": str(lo), "maxMJ": str(hi)}
        assert predicate.test(row) is by_hand(s, lo, hi), row


def test_a_number_or_yes_no_field_missing_from_the_row_cannot_be_judged_never_reads_as_zero() -> None:
    with pytest.raises(RowError, match="stavMJ is missing"):
        judge("stavMJ < 0", {"id": "1"})
    with pytest.raises(RowError, match="storno is missing"):
        judge("!storno", {"id": "1"}, {"storno": "logic"})
    with pytest.raises(RowError, match="not true or false"):
        judge("!storno", {"storno": "maybe"}, {"storno": "logic"})


def test_a_field_of_a_related_record_missing_from_it_cannot_be_judged_an_empty_relation_is_null() -> None:
    with pytest.raises(RowError, match=r"cenik\.typZasobyK is missing"):
        judge("cenik.typZasobyK == 'typZasoby.material'", {"cenik": [{"id": "1", "kod": "A"}]}, {"cenik": "relation"})
    assert judge("cenik.kod is null", {"cenik": []}) and judge("cenik.kod is null", {})


def test_a_relation_itself_is_not_compared_only_its_fields() -> None:
    for source in ("cenik == 'code:A'", "cenik in ['code:A']"):
        with pytest.raises(PredicateError, match="field of the relation"):
            compile_predicate(source, CARD)
    assert judge("cenik is null", {"cenik": ""}) and compile_predicate("cenik is not null", CARD)


def test_nesting_is_bounded_with_an_error_not_a_crash() -> None:
    with pytest.raises(PredicateError, match="nested more than"):
        compile_predicate("!" * 500 + "(stavMJ < 0)", CARD)
    with pytest.raises(PredicateError, match="nested more than"):
        compile_predicate("(" * 900 + "stavMJ < 0" + ")" * 900, CARD)


SHAPES: list[tuple[str, Any]] = [
    ("0 < minMJ", lambda s, lo, hi: lo > 0),
    ("minMJ >= 2.5", lambda s, lo, hi: lo >= 2.5),
    ("20 >= stavMJ", lambda s, lo, hi: s <= 20),
    ("1 <= stavMJ", lambda s, lo, hi: s >= 1),
    ("-1 > stavMJ", lambda s, lo, hi: s < -1),
    ("stavMJ - 1 < maxMJ", lambda s, lo, hi: s - 1 < hi),
    ("minMJ <= maxMJ", lambda s, lo, hi: lo <= hi),
    ("stavMJ > minMJ", lambda s, lo, hi: s > lo),
    ("stavMJ < maxMJ", lambda s, lo, hi: s < hi),
    ("maxMJ >= stavMJ", lambda s, lo, hi: hi >= s),
]


@pytest.mark.parametrize(("source", "by_hand"), SHAPES, ids=[source for source, _ in SHAPES])
def test_each_shape_of_number_comparison_agrees_with_python(source: str, by_hand: Any) -> None:
    rng = random.Random(source)
    predicate = compile_predicate(source, CARD)
    for _ in range(300):
        s, lo, hi = (rng.choice([0, 1, 2.5, 20, rng.uniform(-5, 25)]) for _ in range(3))
        row = {"stavMJ": str(s), "minMJ": str(lo), "maxMJ": str(hi)}
        assert predicate.test(row) is by_hand(s, lo, hi), row


def test_a_constant_on_the_left_decides_once_but_a_field_on_the_left_is_still_judged() -> None:
    nan = {"stavMJ": "NaN"}
    assert judge("${flag} && stavMJ > 0", nan, flag=False) is False  # never reads the row
    assert judge("!${flag} || stavMJ > 0", nan, flag=False) is True
    assert judge("${flag} && stavMJ > 0", {"stavMJ": "3"}, flag=True) is True
    with pytest.raises(RowError):
        judge("stavMJ > 0 && ${flag}", nan, flag=False)  # a data error is never folded away


def test_a_list_placeholder_works_with_in_only() -> None:
    assert judge("cenik.kod in ${codes}", {"cenik": [{"kod": "A"}]}, codes=["A", "B"]) is True
    assert judge("cenik.kod not in ${codes}", {"cenik": [{"kod": "C"}]}, codes=["A", "B"]) is True
    with pytest.raises(PredicateError, match=r"\$\{codes\} is a list: use it after 'in'"):
        compile_predicate("cenik.kod == ${codes}", CARD, {"codes": ["A"]})
    with pytest.raises(PredicateError, match=r"\$\{code\} is not a list"):
        compile_predicate("cenik.kod in ${code}", CARD, {"code": "A"})


@pytest.mark.parametrize(
    ("source", "parameters", "problem"),
    [
        ("stavMJ in ['5']", {}, "cannot compare number with text"),
        ("cenik.kod in [10, 20]", {}, "cannot compare text with number"),
        ("cenik.kod not in ${codes}", {"codes": ["A", 3]}, "cannot compare text with number"),
        ("stavMJ in [true]", {}, "cannot compare number with bool"),
        ("cenik.kod in ${codes}", {"codes": [{"kod": "A"}]}, "a list holds constants only"),
        ("datSplat in ['2026-13-01']", {}, "'2026-13-01' is not a date (YYYY-MM-DD)"),
    ],
)
def test_a_list_of_another_kind_than_its_field_is_refused_as_a_comparison_is(
    source: str, parameters: dict[str, Any], problem: str
) -> None:
    """Such a list would never match (``'5' != 5.0``): every row would pass unseen. Shown failing with the kind
    check left out of ``_member_items``."""
    with pytest.raises(PredicateError) as caught:
        compile_predicate(source, {**CARD, "datSplat": "date"}, parameters)
    assert caught.value.problem == problem


def test_a_date_field_in_a_list_of_dates_written_as_text() -> None:
    assert judge("datSplat in ['2026-11-30', '2026-12-01']", {"datSplat": "2026-11-30+01:00"}, INVOICE) is True
    assert judge("datSplat not in ['2026-11-30']", {"datSplat": "2026-12-01+01:00"}, INVOICE) is True
    assert judge("stavMJ in [1, 2.5, null]", {"stavMJ": "2.5"}) is True


def test_a_related_id_sent_as_a_json_number_reads_as_the_text_flexi_sends_elsewhere() -> None:
    assert judge("cenik.id in ['3']", {"cenik": [{"id": 3, "kod": "A"}]}) is True
