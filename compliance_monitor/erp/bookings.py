"""Stock bookings and the change log of the local Flexi-format server (and of the in-process demo company).

A booking is a stock document (``skladovy-pohyb``) moving products into one warehouse, one line
(``skladovy-pohyb-polozka``) per product. Booked quantities are added to the warehouse's ``stav-skladu-k-datu``
rows: to the product's own row when the warehouse already holds it, else as a new row after the synthetic ones.

Every booking is numbered in the company's **change log** as Flexi's Changes API numbers changes: one version
per record (the document, then each line), ascending with gaps (a step of 2), served by ``changes.json`` as
``{"winstrom": {"@globalVersion": …, "changes": [{"@evidence", "@in-version", "@operation", "@timestamp",
"id"}], "next": …}}``. Records are read back by id (``skladovy-pohyb-polozka/<id>.json``), so a consumer can learn
the line's warehouse, product, document and user, as it would from the ERP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from compliance_monitor.erp.synthetic import Company, Warehouse, render

DOCUMENT, LINE = "skladovy-pohyb", "skladovy-pohyb-polozka"
FIRST_VERSION, VERSION_STEP = 1001, 2  # versions ascend with gaps, as the ERP's do
BOOKED_ROW_OFFSET = 900_000  # a booked product new to a warehouse: id = warehouse id x 1,000,000 + this + n


@dataclass(frozen=True)
class Line:
    id: int
    product: str  # the product card's code (cenik)
    quantity: float
    version: int


@dataclass(frozen=True)
class Booking:
    """One stock document into ``warehouse`` (its code), numbered from ``version`` (the document's own)."""

    id: int
    code: str
    warehouse: str
    day: str  # YYYY-MM-DD
    user: str
    at: str  # "2026-12-03 10:01:05.123456", the change log's timestamp
    version: int
    lines: tuple[Line, ...]


class BookingError(ValueError):
    """A booking the ERP would refuse; its message names the field."""


@dataclass
class ChangeLog:
    """A company's bookings and the versions they took. ``enabled``: the Changes API is switched on."""

    bookings: list[Booking] = field(default_factory=list)
    enabled: bool = True
    hooks: dict[int, str] = field(default_factory=dict)  # registered hook id → URL
    sent: dict[int, int] = field(default_factory=dict)  # hook id → the last version it accepted

    @property
    def global_version(self) -> int:
        return max((line.version for b in self.bookings for line in b.lines), default=FIRST_VERSION - VERSION_STEP)

    def book(
        self, company: Company, warehouse: str, lines: Iterable[tuple[str, float]], *, user: str, now: datetime
    ) -> Booking:
        """Record a booking of ``lines`` (product code, quantity) into the warehouse with code ``warehouse``."""
        store = company.warehouse(f"code:{warehouse}")
        if store is None:
            raise BookingError(f"sklad: warehouse {warehouse!r} does not exist")
        wanted = list(lines)
        if not wanted:
            raise BookingError("polozkyDokladu: a stock document needs at least one line")
        for code, _ in wanted:
            if product_row(company, code) is None:
                raise BookingError(f"cenik: product {code!r} does not exist")
        version, number = self.global_version + VERSION_STEP, len(self.bookings) + 1
        booked = tuple(
            Line(number * 1000 + n, code, quantity, version + VERSION_STEP * n)
            for n, (code, quantity) in enumerate(wanted, start=1)
        )
        at = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        code = f"SP-{number:04d}/{now.year}"
        booking = Booking(number, code, store.code, now.date().isoformat(), user, at, version, booked)
        self.bookings.append(booking)
        return booking

    def changes(self, start: int, limit: int) -> dict[str, Any]:
        """``changes.json``: the changes from version ``start`` (inclusive), at most ``limit`` of them."""
        every = [change for booking in self.bookings for change in _changes_of(booking)]
        chosen = [change for change in every if int(change["@in-version"]) >= start][: max(1, limit)]
        more = bool(chosen) and int(chosen[-1]["@in-version"]) < self.global_version
        winstrom: dict[str, Any] = {"@version": "1.0", "@globalVersion": str(self.global_version), "changes": chosen}
        winstrom["next"] = str(int(chosen[-1]["@in-version"]) + 1) if more else "none"
        return {"winstrom": winstrom}

    def record(self, evidence: str, record_id: int) -> dict[str, Any] | None:
        for booking in self.bookings:
            if evidence == DOCUMENT and booking.id == record_id:
                return _document(booking)
            for line in booking.lines:
                if evidence == LINE and line.id == record_id:
                    return _line(booking, line)
        return None

    def booked(self, warehouse: str) -> dict[str, float]:
        """Product code → quantity booked into the warehouse, in the order first booked."""
        totals: dict[str, float] = {}
        for booking in self.bookings:
            if booking.warehouse == warehouse:
                for line in booking.lines:
                    totals[line.product] = totals.get(line.product, 0.0) + line.quantity
        return totals


def _changes_of(booking: Booking) -> list[dict[str, Any]]:
    head = {"@evidence": DOCUMENT, "@in-version": str(booking.version), "@operation": "create"}
    found = [{**head, "@timestamp": booking.at, "id": str(booking.id), "external-ids": [f"code:{booking.code}"]}]
    for line in booking.lines:
        change = {"@evidence": LINE, "@in-version": str(line.version), "@operation": "create"}
        found.append({**change, "@timestamp": booking.at, "id": str(line.id), "external-ids": []})
    return found


def _document(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "kod": booking.code,
        "datVyst": booking.day,
        "sklad": {"id": None, "kod": booking.warehouse},
        "typPohybuK": "typPohybu.prijem",
        "uzivatel": {"kod": booking.user},
    }


def _line(booking: Booking, line: Line) -> dict[str, Any]:
    return {
        "id": line.id,
        "sklad": {"kod": booking.warehouse},
        "cenik": {"kod": line.product},
        "mnozMj": line.quantity,
        "datVyst": booking.day,
        "doklSklad": {"id": booking.id, "kod": booking.code},
        "uzivatel": {"kod": booking.user},
    }


def product_row(company: Company, code: str) -> tuple[Warehouse, int] | None:
    """The warehouse and row index of a synthetic product code (``MAT00012``: the MATERIAL store's row 12)."""
    prefix, digits = code[:3], code[3:]
    if not digits.isdigit():
        return None
    for warehouse in company.warehouses:
        if warehouse.code[:3] == prefix and int(digits) < company.row_count(warehouse):
            return warehouse, int(digits)
    return None


def extra_rows(company: Company, warehouse: Warehouse, booked: Mapping[str, float]) -> list[tuple[str, float]]:
    """The booked products the warehouse does not hold itself: (code, quantity), each a row after its own."""
    return [(code, quantity) for code, quantity in booked.items() if not _own(company, warehouse, code)]


def own_additions(company: Company, warehouse: Warehouse, booked: Mapping[str, float]) -> dict[int, float]:
    """Row index → quantity booked onto the warehouse's own products."""
    found: dict[int, float] = {}
    for code, quantity in booked.items():
        if _own(company, warehouse, code):
            found[int(code[3:])] = quantity
    return found


def _own(company: Company, warehouse: Warehouse, code: str) -> bool:
    place = product_row(company, code)
    return place is not None and place[0] == warehouse


def parse_document(body: Any) -> tuple[str, list[tuple[str, float]]]:
    """A ``skladovy-pohyb`` import (``{"winstrom": {"skladovy-pohyb": [{"sklad": "code:ZBOZI",
    "polozkyDokladu": [{"cenik": "code:MAT00001", "mnozMj": "5"}]}]}}``) → warehouse code and lines."""
    try:
        document = body["winstrom"][DOCUMENT]
        document = document[0] if isinstance(document, list) else document
        warehouse = _code(document["sklad"], "sklad")
        lines = [(_code(line["cenik"], "cenik"), _quantity(line.get("mnozMj"))) for line in document["polozkyDokladu"]]
    except (KeyError, IndexError, TypeError) as exc:
        raise BookingError(f"skladovy-pohyb: not a stock document ({exc!s})") from None
    return warehouse, lines


def _code(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.startswith("code:") or len(value) > 69:
        raise BookingError(f"{name}: expected code:<KOD>, got {str(value)[:40]!r}")
    return value[len("code:") :]


def _quantity(value: Any) -> float:
    try:
        quantity = float(value)
    except (TypeError, ValueError):
        raise BookingError(f"mnozMj: not a number: {str(value)[:40]!r}") from None
    if not -1e9 < quantity < 1e9 or quantity == 0:
        raise BookingError(f"mnozMj: {quantity:g} is not a quantity that can be booked")
    return quantity


def booked_row(
    company: Company, warehouse: Warehouse, n: int, booked: tuple[str, float], slot: int, expanded: bool, typing: Any
) -> dict[str, Any]:
    """The ``n``-th booked product new to ``warehouse``: its own card (code, name, group) with the booked quantity."""
    code, quantity = booked
    place = product_row(company, code)
    assert place is not None, code  # booked products were checked when booked
    source, index = place
    facts = {**company.row(source, index, slot), "quantity": quantity}
    row = render(source, facts, expanded=expanded, typing=typing)
    row_id = warehouse.id * 1_000_000 + BOOKED_ROW_OFFSET + n
    row["id"] = str(row_id) if typing == "string" else row_id
    return row


def to_data(booking: Booking) -> dict[str, Any]:
    return asdict(booking)


def from_data(data: dict[str, Any]) -> Booking:
    lines = tuple(Line(**line) for line in data["lines"])
    return Booking(**{**data, "lines": lines})
