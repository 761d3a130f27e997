"""Predicates a page at a time: the verdicts of the row closures, computed over a whole page at C speed.

A predicate (``checks/predicate.py``) compiles to closures over one row. Each of its nodes also gets a *column*:
its values for a page (the list of rows one ERP answer holds), computed with ``map`` over C functions
(``operator``, ``float``, ``itemgetter``) instead of a few Python calls per row and node — what makes a
user-defined check over a million rows cost little more than fetching and parsing them (docs/benchmarks.md).

A column takes only the common case — every value of a number field a non-empty numeric text, say — and raises
otherwise (any exception: :class:`Unusual`, a missing key, a text that is no number). The page is then judged row
by row by the closures, so what an unusual value means (a data error, an empty value, ``NaN``) is decided in one
place only. ``&&`` and ``||`` compute their right side only for the rows their left side leaves open, as the row
closures do, so a column never meets a value the row closures would not have looked at.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from itertools import compress, repeat
from typing import Any

Row = Mapping[str, Any]
Column = Callable[[Sequence[Row]], list[Any]]
Memo = dict[str, tuple[Sequence[Row], list[float]]]  # a number field's values on the page being judged


_MISSING = object()


class Unusual(Exception):
    """A value the column does not take; the row closures judge the page."""


def per_row(value: Callable[[Row], Any]) -> Column:
    """The column of a node without a faster one: its row closure, once per row."""
    return lambda rows: list(map(value, rows))


def constant(value: Any) -> Column:
    return lambda rows: [value] * len(rows)


def number_field(field: str, memo: Memo) -> Column:
    """A number field whose every value is a non-empty numeric text, as Flexi sends them ("18.0") — the only case
    taken here; the row closure (``predicate._number``) decides every other one. ``memo`` keeps its values while
    one page is judged (``minMJ > 0 && stavMJ < minMJ`` converts minMJ once); :func:`selected` empties it."""
    get = operator.methodcaller("get", field, _MISSING)  # as the row closure reads it (a mapping's get, not [])

    def column(rows: Sequence[Row]) -> list[Any]:
        known = memo.get(field)
        if known is not None and known[0] is rows:
            return known[1]
        texts = list(map(get, rows))
        "".join(texts)  # TypeError unless every value is a text: missing (_MISSING), True, 3, 2.5 go row by row
        numbers = list(map(float, texts))  # ValueError: "" (empty is 0 to the row closure) or "abc"
        if not all(map(math.isfinite, numbers)):
            raise Unusual(field)
        memo[field] = rows, numbers  # one scope's predicate is used by one reading thread at a time
        return numbers

    return column


def compare(op: Callable[[Any, Any], Any], left: Column, right: Column) -> Column:
    return lambda rows: list(map(op, left(rows), right(rows)))


def compare_constant(op: Callable[[Any, Any], Any], left: Column, value: Any) -> Column:
    return lambda rows: list(map(op, left(rows), repeat(value)))


def both(left: Column, right: Column) -> Column:
    """``left && right``: the row closure's ``f(r) and g(r)``, value for value; ``right`` only where left holds."""

    def column(rows: Sequence[Row]) -> list[Any]:
        firsts = left(rows)
        holding = sum(map(bool, firsts))
        if not holding:
            return firsts
        if holding * 2 >= len(firsts):  # most rows hold: the whole page (its columns may be known already)
            seconds = _whole(right, rows)
            if seconds is not None:
                return [second if first else first for first, second in zip(firsts, seconds, strict=True)]
        rest = iter(right(list(compress(rows, firsts))))
        return [next(rest) if first else first for first in firsts]

    return column


def either(left: Column, right: Column) -> Column:
    """``left || right``: the row closure's ``f(r) or g(r)``, value for value; ``right`` only where left fails."""

    def column(rows: Sequence[Row]) -> list[Any]:
        firsts = left(rows)
        failing = len(firsts) - sum(map(bool, firsts))
        if not failing:
            return firsts
        if failing * 2 >= len(firsts):  # most rows fail: the whole page, as in both()
            seconds = _whole(right, rows)
            if seconds is not None:
                return [first if first else second for first, second in zip(firsts, seconds, strict=True)]
        rest = iter(right(list(compress(rows, map(operator.not_, firsts)))))
        return [first if first else next(rest) for first in firsts]

    return column


def _whole(column: Column, rows: Sequence[Row]) -> list[Any] | None:
    """The column over every row of the page; None when one is unusual — maybe a row that ``&&`` or ``||`` would
    not read at all, so only the rows they do read can tell."""
    try:
        return column(rows)
    except Exception:  # noqa: BLE001 — unusual, not an error (see the module's docstring)
        return None


def negated(inner: Column) -> Column:
    return lambda rows: list(map(operator.not_, inner(rows)))


def member(inner: Column, allowed: frozenset[Any], negate: bool) -> Column:
    contains = allowed.__contains__
    if negate:
        return lambda rows: list(map(operator.not_, map(contains, inner(rows))))
    return lambda rows: list(map(contains, inner(rows)))


def selected(column: Column, memo: Memo) -> Callable[[Sequence[Row]], list[Row]]:
    """The rows of a page the predicate holds for, in order; nothing of the page is kept afterwards."""

    def select(rows: Sequence[Row]) -> list[Row]:
        try:
            return list(compress(rows, column(rows)))
        finally:
            memo.clear()

    return select
