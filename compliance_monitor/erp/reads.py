"""A read of any ABRA Flexi evidence: which rows (a filter), which fields (``detail``/``includes``).

Used by check definitions (``checks/defined.py``). :func:`detail_for` asks for exactly the fields a check uses —
fields outside ``summary`` (``stavMJ`` of ``skladova-karta``) come only when named in ``detail=custom:…`` — and
expands the relations whose fields it reads. :func:`literal` writes a value into a filter as a Flexi literal, quoted
and escaped: a value (a scope code, a parameter) can never change the filter's shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True)
class RowRequest:
    evidence: str
    filter: str = ""  # Flexi filter syntax, sent as the parenthesised path segment
    detail: str = "summary"
    includes: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # more query parameters: stav-skladu-k-datu's sklad and datum

    def path(self) -> str:
        if not self.filter:
            return f"{self.evidence}.json"
        return f"{self.evidence}/({quote(self.filter, safe='')}).json"

    def params(self) -> dict[str, str]:
        return {**dict(self.extra), "detail": self.detail, **({"includes": self.includes} if self.includes else {})}


ROWS_LABELS = {"stav-skladu-k-datu": "stock rows", "skladova-karta": "stock cards", "cenik": "product cards"}


def rows_label(evidence: str) -> str:
    """What one row of the evidence is, for people (volume notes): "stock rows"."""
    return ROWS_LABELS.get(evidence, f"{evidence} rows")


def detail_for(evidence: str, paths: Iterable[str]) -> tuple[str, str]:
    """``detail`` and ``includes`` for field paths (``stavMJ``, ``cenik.kod``): ``id`` always, relations expanded
    with the fields read of them (and their ``kod``/``id``, so a bare relation still names its record)."""
    plain: dict[str, None] = {"id": None}
    related: dict[str, dict[str, None]] = {}
    for path in paths:
        head, _, part = path.partition(".")
        if part:
            related.setdefault(head, {"id": None, "kod": None})[part] = None
        else:
            plain[head] = None
    for head in related:
        plain.pop(head, None)
    fields = [*plain, *(f"{head}({','.join(parts)})" for head, parts in related.items())]
    includes = ",".join(f"/{evidence}/{head}" for head in related)
    return "custom:" + ",".join(fields), includes


def literal(value: Any) -> str:
    """A Flexi filter literal: numbers as they are, true/false, dates and texts quoted (``'`` and ``\\`` escaped)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value!r} is not a number a filter can hold")
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, date):
        value = value.isoformat()
    if isinstance(value, list | tuple):
        return "(" + ", ".join(literal(item) for item in value) + ")"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"
