"""A page's offending rows as violations, field by field over all of them (``checks/defined.py``).

Row by row, a violation costs a dozen Python calls; a page's offenders — maybe a hundred of a thousand rows — are
built here one field at a time: each field the definition names read once for all of them (``cenik.kod`` serves
the identity and the message alike), at C speed where ``checks/columns.py`` can (:func:`columns.of_path`), by its
accessor row by row otherwise; the same values in the same order (a differential test,
``checks/tests/test_offenders.py``). When any offender cannot be described (an empty identity, a value its
accessor rejects) this raises, and the caller builds them row by row, which names each such row as a data error.
"""

from __future__ import annotations

import contextlib
import functools
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from itertools import repeat
from typing import Any, Protocol

from compliance_monitor.checks import columns
from compliance_monitor.checks.base import NO_DETAIL, Violation
from compliance_monitor.checks.predicate import FieldType, accessor

Row = dict[str, Any]
Value = Callable[[Any], Any]
Message = tuple[str, tuple[Value, ...]]  # a str.format pattern and the values it shows, in order


class Described(Protocol):
    """What a scope's read says about each violation (``defined.ScopeRead``)."""

    @property
    def identity(self) -> tuple[Value, ...]: ...
    @property
    def label(self) -> Value | None: ...
    @property
    def quantity(self) -> Value | None: ...
    @property
    def unit(self) -> Value | None: ...
    @property
    def group(self) -> Value | None: ...
    @property
    def message(self) -> Message | None: ...
    @property
    def detail(self) -> tuple[tuple[str, Value], ...]: ...
    @property
    def columns(self) -> Mapping[Value, columns.Column]: ...


class Accessors:
    """One accessor per path, whoever names it (identity, message, label …), and the page column of each that has
    one (``columns``): what :func:`violations` reads once per page."""

    def __init__(self, fields: Mapping[str, FieldType]) -> None:
        self.fields, self.by_path = fields, dict[str, Value]()
        self.columns: dict[Value, columns.Column] = {}

    def __call__(self, path: str) -> Value:
        if path not in self.by_path:
            value = self.by_path[path] = accessor(path, self.fields)
            column = columns.of_path(path, self.fields.get(path.partition(".")[0], "text"))
            if column is not None:
                self.columns[value] = column
        return self.by_path[path]


def violations(scope: Described, warehouse: str, offenders: Sequence[Row]) -> list[Violation]:
    read = _reader(scope.columns, offenders)
    codes = _codes([texts(read(value)) for value in scope.identity])
    if not all(codes):
        raise ValueError("an identity field is empty")  # row by row: which row, as a data error
    return list(
        map(
            Violation,
            repeat(warehouse),
            [code[:100] for code in codes],
            _texts(read, scope.label, 300),
            _texts(read, scope.group, 100),
            [float(q or 0.0) for q in read(scope.quantity)] if scope.quantity else repeat(0.0),
            [(text.lower() or "ks")[:20] for text in _texts(read, scope.unit)] if scope.unit else repeat(""),
            _details(read, scope.detail, len(offenders)),
            _messages(read, scope.message, len(offenders)),
        )
    )


def text_of(value: Any) -> str:
    """A row's value as people read it in a message: ``2.5``, ``true``, a relation's code."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return str(value.get("kod") or value.get("id") or "")
    return str(value)


def texts(values: list[Any]) -> list[str]:
    """:func:`text_of` of each value — without a call per value when all are texts, or all numbers (each distinct
    number written once: quantities repeat)."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return values
    if kinds == {float}:
        distinct = set(values)
        if 0.0 in distinct:  # 0.0 and -0.0 are one key, two texts ("0", "-0")
            return list(map(format, values, repeat("g")))
        written = dict(zip(distinct, map(format, distinct, repeat("g")), strict=True))  # text_of's f"{value:g}"
        return list(map(written.__getitem__, values))
    return list(map(text_of, values))


def _reader(known: Mapping[Value, columns.Column], rows: Sequence[Row]) -> Callable[[Value], list[Any]]:
    """Each accessor's values for ``rows``, read once: its column when it has one and the rows are plain dicts,
    else the accessor row by row (which raises what a row-by-row violation would meet)."""
    done: dict[Value, list[Any]] = {}
    plain = columns.all_plain(rows)

    def read(value: Value) -> list[Any]:
        if value not in done:
            done[value] = _values(known.get(value) if plain else None, value, rows)
        return done[value]

    return read


def _values(column: columns.Column | None, value: Value, rows: Sequence[Row]) -> list[Any]:
    if column is not None:
        with contextlib.suppress(Exception):  # unusual: the accessor decides, row by row
            return column(rows)
    return list(map(value, rows))


def _codes(parts: list[list[str]]) -> list[str]:
    if len(parts) == 1:
        return parts[0]
    return ["/".join(codes) if all(codes) else "" for codes in zip(*parts, strict=True)]


def _texts(read: Callable[[Value], list[Any]], value: Value | None, limit: int | None = None) -> Iterable[str]:
    if value is None:
        return repeat("")
    found = texts(read(value))
    return found if limit is None else [text[:limit] for text in found]


def _details(read: Callable[[Value], list[Any]], detail: tuple[tuple[str, Value], ...], size: int) -> list[Row]:
    if not detail:
        return [NO_DETAIL] * size
    paths = [path for path, _ in detail]
    values = zip(*[[text[:200] for text in texts(read(value))] for _, value in detail], strict=True)
    return [dict(zip(paths, row, strict=True)) for row in values]


def _messages(read: Callable[[Value], list[Any]], message: Message | None, size: int) -> Iterable[str]:
    if message is None:
        return repeat("")
    template, values = message
    if not values:  # a message without fields ("Negative stock")
        return [template.format()[:500]] * size
    literals = _literals(template)
    parts: list[Iterable[str]] = [repeat(literals[0])]
    for value, literal in zip(values, literals[1:], strict=True):
        parts += [texts(read(value)), repeat(literal)]
    return [text[:500] for text in map("".join, zip(*parts, strict=False))]  # ends with the values: repeat() does not


@functools.lru_cache(maxsize=256)  # the definitions' templates: parsed once, not once a page
def _literals(template: str) -> tuple[str, ...]:
    """What ``template.format(*values)`` writes before, between and after its values — parsed once, not once per
    violation as ``format`` does."""
    literals, text = list[str](), ""
    for literal, field, _, _ in string.Formatter().parse(template):
        text += literal
        if field is not None:
            literals, text = [*literals, text], ""
    return (*literals, text)
