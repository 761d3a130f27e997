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
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import compress, repeat
from typing import Any

Row = Mapping[str, Any]
Column = Callable[[Sequence[Row]], list[Any]]
Memo = dict[str, tuple[Sequence[Row], list[float]]]  # a number field's values on the page being judged


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
    one list of rows is judged (``a > 0 || b < a`` converts ``a`` once; :meth:`Both.select` hands its right side a
    shorter list, converted anew); :func:`selected` empties it."""
    read = _numbers(field)

    def column(rows: Sequence[Row]) -> list[Any]:
        known = memo.get(field)
        if known is not None and known[0] is rows:
            return known[1]
        numbers = read(rows)
        memo[field] = rows, numbers  # one scope's predicate is used by one reading thread at a time
        return numbers

    return column


def _numbers(field: str) -> Column:
    number = operator.itemgetter(field)  # a missing key raises: the row closures call it a data error
    return lambda rows: numbers_of(list(map(number, rows)))


def numbers_of(texts: list[Any]) -> list[float]:
    """Non-empty numeric texts as the finite numbers they are, else raises. A page's quantities and limits repeat
    (0, 1, 5, 10 …): each distinct text is converted once (``float`` is most of the cost of judging a page), unless
    most are distinct."""
    "".join(texts)  # TypeError unless every value is a text: None, True, 3, 2.5 go row by row
    distinct = set(texts)
    if len(distinct) * 2 > len(texts):
        numbers = list(map(float, texts))  # ValueError: "" (empty is 0 to the row closure) or "abc"
        converted: Iterable[float] = numbers
    else:
        table = dict(zip(distinct, map(float, distinct), strict=True))
        numbers, converted = list(map(table.__getitem__, texts)), table.values()
    if not all(map(math.isfinite, converted)):
        raise Unusual("not a finite number")
    return numbers


def plain(rows: Sequence[Row]) -> None:
    """Raises unless :func:`all_plain`."""
    if not all_plain(rows):
        raise Unusual("not a plain dict")


def all_plain(rows: Sequence[Row]) -> bool:
    """Every row a plain ``dict``, as a parsed ERP answer is: only then does a subscript read what the row closures'
    ``get`` reads (a mapping inventing missing keys, a defaultdict, goes row by row)."""
    return not set(map(type, rows)) - {dict}


def compare(op: Callable[[Any, Any], Any], left: Column, right: Column) -> Column:
    return lambda rows: list(map(op, left(rows), right(rows)))


def compare_constant(op: Callable[[Any, Any], Any], left: Column, value: Any) -> Column:
    return lambda rows: list(map(op, left(rows), repeat(value)))


def both(left: Column, right: Column) -> Column:
    return Both(left, right)


class Both:
    """``left && right``: the row closure's ``f(r) and g(r)``, value for value; ``right`` only where left holds."""

    def __init__(self, left: Column, right: Column) -> None:
        self.left, self.right = left, right

    def __call__(self, rows: Sequence[Row]) -> list[Any]:
        firsts = self.left(rows)
        holding = sum(map(bool, firsts))
        if not holding:
            return firsts
        if holding * 2 >= len(firsts):  # most rows hold: the whole page (its columns may be known already)
            seconds = _whole(self.right, rows)
            if seconds is not None:
                return [second if first else first for first, second in zip(firsts, seconds, strict=True)]
        rest = iter(self.right(list(compress(rows, firsts))))
        return [next(rest) if first else first for first in firsts]

    def select(self, rows: Sequence[Row]) -> list[Row]:
        """The rows both hold for, without building the values: those of the rows left holds for that right holds
        for — right read only where left holds, as above."""
        return selector(self.right)(selector(self.left)(rows))


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


def selector(column: Column) -> Callable[[Sequence[Row]], list[Row]]:
    """The rows of a page a column's value is true for, in order."""
    return getattr(column, "select", None) or (lambda rows: list(compress(rows, column(rows))))


def selected(column: Column, memo: Memo) -> Callable[[Sequence[Row]], list[Row]]:
    """The rows of a page the predicate holds for, in order; nothing of the page is kept afterwards."""
    select = selector(column)

    def judged(rows: Sequence[Row]) -> list[Row]:
        try:
            plain(rows)
            return select(rows)
        finally:
            memo.clear()

    return judged


def of_path(path: str, kind: str) -> Column | None:
    """The values ``predicate.accessor(path)`` reads, for a page of plain dicts (:func:`plain`) at once — in the
    common case only: a relation expanded as a one-record list, a number a numeric text, a text field present.
    Anything else raises and the accessor reads the page row by row. None: no faster way than that (dates, yes/no
    fields, relations themselves)."""
    head, _, part = path.partition(".")
    if part:
        return _relation_field(head, part)
    if kind in ("numeric", "integer"):
        return _numbers(head)
    if kind in ("date", "logic", "relation"):
        return None
    text = operator.itemgetter(head)  # the accessor's get(): absent is None to it, so a missing key raises here
    return lambda rows: list(map(text, rows))


def _relation_field(field: str, part: str) -> Column:
    relation, first, value = operator.itemgetter(field), operator.itemgetter(0), operator.itemgetter(part)

    def column(rows: Sequence[Row]) -> list[Any]:
        lists = list(map(relation, rows))
        records = list(map(first, _only(list, lists)))  # IndexError: an empty relation
        return _only(str, list(map(value, _only(dict, records))))  # KeyError: the field not sent

    return column


def _only(kind: type, values: list[Any]) -> list[Any]:
    if set(map(type, values)) - {kind}:
        raise Unusual(f"not every value is a {kind.__name__}")
    return values
