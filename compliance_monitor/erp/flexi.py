"""The ABRA Flexi (FlexiBee) JSON format: the envelope, scalar typing, relations, and our row type.

Flexi sends scalars as strings (``"17"``, ``"5.0"``, ``"true"``) or as native JSON depending on the
server and version; relations as ``"code:ABC"`` strings or, when expanded with ``includes``, as a list
holding one object. Everything here accepts both.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

EVIDENCE_STOCK = "stav-skladu-k-datu"
STOCK_DETAIL = "custom:id,cenik(kod,nazev,id,typZasobyK),skupZboz(id,kod,nazev),mj1(kod),stavMJ,stavMJPozad,prumCena"
STOCK_INCLUDES = "/stav-skladu-k-datu/cenik,/stav-skladu-k-datu/skupZboz,/stav-skladu-k-datu/mj1"


class ErpError(Exception):
    """Anything that went wrong talking to the ERP. Messages never contain credentials."""


class ErpAuthError(ErpError):
    """401: the ERP rejected the user name or password."""


class ErpPermissionError(ErpError):
    """402/403: the user lacks the licence or the right to read this."""


class ErpUnavailableError(ErpError):
    """Timeouts, refused or dropped connections and 5xx answers, after every retry."""


class ErpResponseError(ErpError):
    """The ERP answered ``success: false`` (or 4xx) with a message of its own."""


class ErpMalformedResponseError(ErpError):
    """The body was not the JSON envelope we expect."""


class ErpIncompleteReadError(ErpError):
    """The pages of a read do not prove it whole: short, oversized, repeated, or over a cap."""


class ErpRowCountChangedError(ErpIncompleteReadError):
    """``@rowCount`` changed during the read (people were booking): worth reading the scope once more."""


class ErpDataError(ErpError):
    """A value a check uses is not usable (``NaN``, ``Infinity``, ``"abc"``): the scope cannot be judged."""


class StockRow(NamedTuple):
    """One product's stock in one warehouse on one date (``stav-skladu-k-datu``).

    A named tuple, not a frozen dataclass: as immutable, and made in a quarter of the time — a big run makes
    millions, each while holding the GIL that the other reading threads wait for (bench/erp_concurrency.py).
    """

    product_code: str
    product_name: str
    product_type: str  # the product card's typZasobyK, e.g. "typZasoby.material"; "" if unknown
    group_id: str  # goods group (skupZboz); all three "" when the product has none
    group_code: str
    group_name: str
    quantity: float
    unit: str

    @property
    def has_group(self) -> bool:
        return bool(self.group_id or self.group_code)


def to_float(value: Any) -> float:
    """A finite number from a Flexi scalar; empty is 0. ``NaN``, ``Infinity`` and text raise ``ValueError``."""
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    number = float(value)  # ValueError for "abc"; TypeError for lists and objects
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def number_field(raw: dict[str, Any], key: str, product: str) -> float:
    """``raw[key]`` as a finite number, or an :class:`ErpDataError` naming the product and the field."""
    value = raw.get(key)
    try:
        return to_float(value)
    except (ValueError, TypeError):
        shown = repr(value)[:40]
        raise ErpDataError(f"product {product or '(no code)'}: field {key} is {shown}, not a finite number") from None


def to_text(value: Any) -> str:
    return "" if value is None else str(value)


def envelope(body: Any, evidence: str) -> tuple[list[dict[str, Any]], int | None]:
    """The rows of ``evidence`` and ``@rowCount`` (when asked for) from a ``{"winstrom": …}`` body."""
    winstrom = body.get("winstrom") if isinstance(body, dict) else None
    if not isinstance(winstrom, dict):
        raise ErpMalformedResponseError("ERP answer has no 'winstrom' envelope")
    if str(winstrom.get("success", "true")).lower() == "false":
        raise ErpResponseError(f"ERP refused the request: {error_message(winstrom)}")
    rows = winstrom.get(evidence, [])
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ErpMalformedResponseError(f"ERP answer's '{evidence}' is not a list of records")
    return rows, row_count(winstrom.get("@rowCount"))


def row_count(value: Any) -> int | None:
    """``@rowCount`` as a count; absent is None, anything but a whole number >= 0 is malformed."""
    if value is None or value == "":
        return None
    try:
        count = int(str(value))
    except ValueError:
        raise ErpMalformedResponseError(f"ERP announced @rowCount {str(value)[:40]!r}, not a count") from None
    if count < 0:
        raise ErpMalformedResponseError(f"ERP announced a negative @rowCount ({count})")
    return count


def error_message(winstrom: dict[str, Any]) -> str:
    """The server's own words, from either error shape."""
    messages = [str(winstrom["message"])] if winstrom.get("message") else []
    for result in winstrom.get("results") or []:
        for error in (result or {}).get("errors") or []:
            field = f" ({error['for']})" if error.get("for") else ""
            messages.append(f"{error.get('message', 'error')}{field}")
    return "; ".join(messages) or "no message"


def relation(value: Any) -> dict[str, str]:
    """A relation as ``{"id", "kod", "nazev", …}``: from an expanded object or a ``code:X`` string."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return {key: to_text(item) for key, item in value.items()}
    text = to_text(value)
    if text.startswith("code:"):
        return {"kod": text[len("code:") :]}
    if text.isdigit():
        return {"id": text}
    return {}


def stock_row(raw: dict[str, Any]) -> StockRow:
    # The hot path of a check (a million calls per big run): only the fields we need are converted, positionally.
    product, group, unit = _related(raw.get("cenik")), _related(raw.get("skupZboz")), _related(raw.get("mj1"))
    code = _field(product, "kod")
    return StockRow(
        code,
        _field(product, "nazev"),
        _field(product, "typZasobyK"),
        _field(group, "id"),
        _field(group, "kod"),
        _field(group, "nazev"),
        number_field(raw, "stavMJ", code),
        _field(unit, "kod").lower(),
    )


def _related(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    if isinstance(value, dict):
        return value
    return relation(value)  # "code:ABC" or an id


def _field(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    return "" if value is None else str(value)
