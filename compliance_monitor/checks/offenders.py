"""A page's offending rows as violations, field by field over all of them (``checks/defined.py``).

Row by row, a violation costs a dozen Python calls; a page's offenders — maybe a hundred of a thousand rows — are
built here one field at a time with ``map``, the same values in the same order (a differential test,
``checks/tests/test_offenders.py``). When any offender cannot be described (an empty identity, a value its
accessor rejects) this raises, and the caller builds them row by row, which names each such row as a data error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from itertools import repeat
from typing import Any, Protocol

from compliance_monitor.checks.base import Violation

Row = dict[str, Any]
Value = Callable[[Any], Any]


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
    def message(self) -> tuple[str, tuple[Value, ...]] | None: ...
    @property
    def detail(self) -> tuple[tuple[str, Value], ...]: ...


def violations(scope: Described, warehouse: str, offenders: Sequence[Row]) -> list[Violation]:
    codes = _codes(scope.identity, offenders)
    if not all(codes):
        raise ValueError("an identity field is empty")  # row by row: which row, as a data error
    return list(
        map(
            Violation,
            repeat(warehouse),
            [code[:100] for code in codes],
            _texts(scope.label, offenders, 300),
            _texts(scope.group, offenders, 100),
            [float(q or 0.0) for q in map(scope.quantity, offenders)] if scope.quantity else repeat(0.0),
            [(text.lower() or "ks")[:20] for text in _texts(scope.unit, offenders)] if scope.unit else repeat(""),
            _details(scope.detail, offenders),
            _messages(scope.message, offenders),
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


def _codes(identity: tuple[Value, ...], rows: Sequence[Row]) -> list[str]:
    if len(identity) == 1:
        return list(map(text_of, map(identity[0], rows)))
    parts = zip(*[list(map(text_of, map(value, rows))) for value in identity], strict=True)
    return ["/".join(codes) if all(codes) else "" for codes in parts]


def _texts(value: Value | None, rows: Sequence[Row], limit: int | None = None) -> Iterable[str]:
    if value is None:
        return repeat("")
    texts = map(text_of, map(value, rows))
    return list(texts) if limit is None else [text[:limit] for text in texts]


def _details(detail: tuple[tuple[str, Value], ...], rows: Sequence[Row]) -> list[dict[str, Any]]:
    if not detail:
        return [{} for _ in rows]
    return [{path: text_of(value(row))[:200] for path, value in detail} for row in rows]


def _messages(message: tuple[str, tuple[Value, ...]] | None, rows: Sequence[Row]) -> Iterable[str]:
    if message is None:
        return repeat("")
    template, values = message
    if not values:  # a message without fields ("Negative stock")
        return [template.format()[:500]] * len(rows)
    texts = map(template.format, *[list(map(text_of, map(value, rows))) for value in values])
    return [text[:500] for text in texts]
