"""A synthetic ABRA Flexi company: warehouses, goods groups, products and stock that drifts.

Rows are computed from (warehouse, row index, drift slot), never stored, so a company of
100 warehouses x 10,000 products costs no memory and any page is produced in O(page size).
About 2 % of each warehouse's rows are goods of a foreign group, and whether such a row has stock
depends on the drift slot (the date, or the time of day for the demo): violations come and go.

For user-defined checks it also has accounting periods, stock cards (with negative stock and stock outside
its limits), product cards (a few with a stock type contradicting their group) and issued invoices (some
overdue and unpaid), as ``Table``s relative to a given "today" (see :func:`table`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

Typing = Literal["string", "native"]


@dataclass(frozen=True)
class Group:
    id: int
    code: str
    name: str
    product_type: str


GROUPS = (
    Group(1, "ZBOZI", "Goods", "typZasoby.zbozi"),
    Group(3, "MATERIAL", "Material", "typZasoby.material"),
    Group(7, "POLOTOVAR", "Semi-product", "typZasoby.polotovar"),
    Group(8, "VYROBEK", "Product", "typZasoby.vyrobek"),
)
GROUP_BY_ID = {group.id: group for group in GROUPS}


@dataclass(frozen=True)
class Warehouse:
    id: int
    code: str
    name: str
    home_group: int  # the group its goods belong to
    tidy: bool = False  # holds only its own goods (the demo's dispatch store: a booking there raises a new alert)


DEMO_WAREHOUSES = (
    Warehouse(5, "MATERIAL", "Material warehouse", 3),
    Warehouse(4, "ZBOZI", "Products warehouse", 8),
    Warehouse(20, "POLOTOVARY", "Semi-products warehouse", 7),
)
# The built-in demo company has one store more: its dispatch store holds only products, so a misplaced booking
# there (the demo's scenario action) always raises a new alert, whatever the others' drift.
DISPATCH = Warehouse(30, "EXPEDICE", "Dispatch warehouse", 8, tidy=True)
# Another company's stores: other ids, a code of its own, and a code (ZBOZI) it shares with the demo under another id.
OTHER_WAREHOUSES = (
    Warehouse(61, "SUROVINY", "Raw materials", 3),
    Warehouse(62, "ZBOZI", "Finished goods", 8),
)


def _mix(*values: int) -> int:
    """A cheap, well-spread 32-bit hash (deterministic across runs, unlike ``hash``)."""
    h = 2166136261
    for value in values:
        h = ((h ^ (value & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
        h ^= h >> 13
    return h


@dataclass(frozen=True)
class Company:
    code: str = "demo"
    warehouses: tuple[Warehouse, ...] = DEMO_WAREHOUSES
    products_per_warehouse: int = 40
    seed: int = 1
    misplaced_percent: int = 10  # high in the demo so a newcomer sees violations; 2 for benchmarks
    ungrouped_percent: int = 5
    invoices: int = 60  # issued invoices (faktura-vydana)

    @classmethod
    def demo(cls) -> Company:
        """The built-in demo company: the three stores of the original reports and the tidy dispatch store."""
        return cls(warehouses=(*DEMO_WAREHOUSES, DISPATCH))

    @classmethod
    def large(cls, warehouses: int, products: int) -> Company:
        """A benchmark company: ``warehouses`` x ``products`` stock rows."""
        stores = tuple(Warehouse(100 + n, f"W{n:03d}", f"Warehouse {n}", GROUPS[n % 4].id) for n in range(warehouses))
        return cls(code="big", warehouses=stores, products_per_warehouse=products, misplaced_percent=2)

    @classmethod
    def other(cls, code: str, **options: Any) -> Company:
        """A second company with other warehouses (other ids and codes) and other stock."""
        return cls(code=code, warehouses=OTHER_WAREHOUSES, seed=2, **options)

    def warehouse(self, ref: str) -> Warehouse | None:
        """By numeric id or ``code:KOD``, as the API's ``sklad`` parameter."""
        code = ref[len("code:") :] if ref.startswith("code:") else None
        for warehouse in self.warehouses:
            if (code is not None and warehouse.code == code) or ref == str(warehouse.id):
                return warehouse
        return None

    def row_count(self, warehouse: Warehouse) -> int:
        return self.products_per_warehouse

    def row(self, warehouse: Warehouse, index: int, slot: int) -> dict[str, Any]:
        """The row's facts; ``render`` turns them into Flexi JSON."""
        h, group = self.group_of(warehouse, index)
        quantity = float(1 + (h >> 8) % 50)
        if group is not None and group.id != warehouse.home_group:
            quantity = float(max(0, _mix(h, slot) % 9 - 4))  # in stock in some slots, not in others
        return {"index": index, "group": group, "quantity": quantity}

    def group_of(self, warehouse: Warehouse, index: int) -> tuple[int, Group | None]:
        """The product's hash and goods group: none for a few, a foreign one (misplaced) for some."""
        h = _mix(self.seed, warehouse.id, index)
        roll, home = h % 100, GROUP_BY_ID[warehouse.home_group]
        if warehouse.tidy:
            return h, home
        if roll < self.ungrouped_percent:
            return h, None
        if roll < self.ungrouped_percent + self.misplaced_percent:
            return h, GROUPS[(GROUPS.index(home) + 1 + (h >> 4) % 3) % 4]
        return h, home


def render(warehouse: Warehouse, facts: dict[str, Any], *, expanded: bool, typing: Typing) -> dict[str, Any]:
    """One ``stav-skladu-k-datu`` row as Flexi would send it (string-typed or native JSON)."""

    def scalar(value: Any) -> Any:
        return str(value) if typing == "string" else value

    index, group = facts["index"], facts["group"]
    row_id = warehouse.id * 1_000_000 + index
    code, name = f"{warehouse.code[:3]}{index:05d}", f"Product {index} of {warehouse.name}"
    product_type = group.product_type if group else "typZasoby.zbozi"
    row: dict[str, Any] = {
        "id": scalar(row_id),
        "stavMJ": scalar(facts["quantity"]),
        "stavMJPozad": scalar(0.0),
        "prumCena": scalar(12.5),
    }
    if expanded:
        row["cenik"] = [{"id": scalar(row_id), "kod": code, "nazev": name, "typZasobyK": product_type}]
        row["skupZboz"] = [{"id": scalar(group.id), "kod": group.code, "nazev": group.name}] if group else []
        row["mj1"] = [{"kod": "KS"}]
    else:
        row.update({"cenik": f"code:{code}", "cenik@showAs": f"{code}: {name}", "mj1": "code:KS"})
        row["skupZboz"] = f"code:{group.code}" if group else ""
    return row


# --- more evidences for user-defined checks: accounting periods, stock cards, product cards, issued invoices ---
# Each is a ``Table``: a row count and a function from row index to the full row (native values, relations as
# dicts), computed from the index alone so any page costs O(page size) and nothing is stored per row.

Row = dict[str, Any]
UNIT = {"id": 1, "kod": "KS", "nazev": "kus"}
CZK = {"id": 1, "kod": "CZK", "nazev": "Koruna česká"}


@dataclass(frozen=True)
class Table:
    """One evidence of one company on one day, for a filter's pre-checks: ``cheap`` fields cost no full row, and
    the ``constant`` ones keep their value over runs of ``run`` rows (a filter on them is tested once a run)."""

    count: int
    full: Callable[[int], Row]
    cheap: Mapping[str, Callable[[int], Any]] = field(default_factory=dict)
    run: int = 1
    constant: frozenset[str] = frozenset()


class LazyRow:
    """A row for a filter: cheap fields straight from the index, the full row only when another field is asked."""

    __slots__ = ("_full", "_index", "_table")

    def __init__(self, table: Table, index: int) -> None:
        self._table, self._index = table, index
        self._full: Row | None = None

    def get(self, name: str) -> Any:
        if self._full is None:
            cheap = self._table.cheap.get(name)
            if cheap is not None:
                return cheap(self._index)
            self._full = self._table.full(self._index)
        return self._full.get(name)


def table(company: Company, evidence: str, today: date) -> Table | None:
    """The evidence's rows, or None when this server does not serve it."""
    builders: dict[str, Callable[[Company, date], Table]] = {
        "sklad": _warehouses,
        "skupina-zbozi": _groups,
        "ucetni-obdobi": _periods,
        "skladova-karta": _stock_cards,
        "cenik": _products,
        "faktura-vydana": _invoices,
    }
    builder = builders.get(evidence)
    return builder(company, today) if builder else None


def _ref(id_: int, code: str, name: str) -> Row:
    return {"id": id_, "kod": code, "nazev": name}


GROUP_REFS = {group.id: _ref(group.id, group.code, group.name) for group in GROUPS}  # shared: never mutated


def _warehouses(company: Company, today: date) -> Table:
    """In the order the company lists them (what ``sklad.json`` always answered), not by id."""
    rows = [_ref(w.id, w.code, w.name) for w in company.warehouses]
    return Table(len(rows), rows.__getitem__)


def _groups(company: Company, today: date) -> Table:
    rows = [_ref(g.id, g.code, g.name) for g in GROUPS]
    return Table(len(rows), rows.__getitem__)


def _period(year: int) -> Row:
    row = _ref(year - 2000, str(year), f"Účetní období {year}")
    return {**row, "platiOdData": f"{year}-01-01", "platiDoData": f"{year}-12-31"}


def _periods(company: Company, today: date) -> Table:
    """Last year, this year (the current period) and next year."""
    rows = [_period(today.year + offset) for offset in (-1, 0, 1)]
    return Table(len(rows), rows.__getitem__)


def _stores(company: Company) -> tuple[Warehouse, ...]:
    return tuple(sorted(company.warehouses, key=lambda w: w.id))


def product(company: Company, warehouse: Warehouse, index: int) -> Row:
    """The product card behind a stock row: same code, name and goods group as ``stav-skladu-k-datu`` serves.

    About 3 % of grouped cards carry a stock type that contradicts their group (a data-quality check's finding).
    """
    h, group = company.group_of(warehouse, index)
    product_type = group.product_type if group else "typZasoby.zbozi"
    if group and (h >> 17) % 100 < 3:
        product_type = GROUPS[(GROUPS.index(group) + 1) % len(GROUPS)].product_type
    return {
        "id": warehouse.id * 1_000_000 + index,
        "kod": f"{warehouse.code[:3]}{index:05d}",
        "nazev": f"Product {index} of {warehouse.name}",
        "typZasobyK": product_type,
        "skupZboz": GROUP_REFS[group.id] if group else None,
    }


def _products(company: Company, today: date) -> Table:
    stores, per = _stores(company), company.products_per_warehouse

    def full(index: int) -> Row:
        return {**product(company, stores[index // per], index % per), "skladove": True, "mj1": UNIT}

    return Table(len(stores) * per, full, {"id": lambda index: stores[index // per].id * 1_000_000 + index % per})


def _stock_cards(company: Company, today: date) -> Table:
    """One card per period (last year's first, then this year's) x warehouse x product; id = index + 1."""
    stores, per = _stores(company), company.products_per_warehouse
    cards = len(stores) * per
    periods, refs = (_period(today.year - 1), _period(today.year)), tuple(_ref(s.id, s.code, s.name) for s in stores)

    def sklad(index: int) -> Row:
        return refs[index % cards // per]

    def full(index: int) -> Row:
        store, item, current = stores[index % cards // per], index % per, index >= cards
        row: Row = {"id": index + 1, "sklad": sklad(index), "cenik": product(company, store, item)}
        row["ucetObdobi"] = periods[index // cards]
        row.update(_card_values(company, store, item, current))
        return row

    def values(index: int) -> Row:
        return _card_values(company, stores[index % cards // per], index % per, index >= cards)

    cheap: dict[str, Callable[[int], Any]] = {"id": lambda index: index + 1, "sklad": sklad}
    cheap["ucetObdobi"] = lambda index: periods[index // cards]
    cheap.update({name: _pick(values, name) for name in ("stavMJ", "minMJ", "maxMJ", "rezervMJ", "dostupMj")})
    return Table(2 * cards, full, cheap, run=per, constant=frozenset({"sklad", "ucetObdobi"}))


def _pick(part: Callable[[int], Row], name: str) -> Callable[[int], Any]:
    return lambda index: part(index)[name]


def _card_values(company: Company, store: Warehouse, item: int, current: bool) -> Row:
    """Stock, limits (0 = no limit) and reservations; this year's by fixed patterns so demo facts always hold:
    5 % negative (2 of every 40 products per warehouse), 30 % with a minimum (a third of them below it),
    20 % with a maximum (a third of them above it). Last year's are hash noise."""
    h = _mix(company.seed, store.id, item, 11 if current else 13)
    stock, minimum, maximum = float(h % 50 - 3), float((h >> 8) % 3 * 5), 0.0
    if current:
        stock, minimum, maximum = float(1 + h % 40), 0.0, 0.0
        negative, slot = (item + 3 * store.id) % 20 == 0, (item + store.id) % 10
        if slot < 3:
            minimum = float(5 + (h >> 10) % 10)
            stock = minimum - 1 - (h >> 14) % 3 if slot == 0 else max(stock, minimum)
        if (item + 2 * store.id) % 5 == 1:
            maximum = float(45 + (h >> 20) % 20)
            if item // 5 % 3 == 0 and slot != 0:
                stock = maximum + 1 + (h >> 18) % 5
        if negative:
            stock = -float(1 + (h >> 6) % 5)
    reserved = float((h >> 24) % 3) if stock > 0 else 0.0
    return {"stavMJ": stock, "minMJ": minimum, "maxMJ": maximum, "rezervMJ": reserved, "dostupMj": stock - reserved}


def _invoices(company: Company, today: date) -> Table:
    return Table(company.invoices, lambda index: invoice(company, index, today))


def invoice(company: Company, index: int, today: date) -> Row:
    """Issued 0-99 days ago, due in 14 days; by index: 5 in 10 paid, 2 partly, 3 unpaid; 1 in 20 cancelled."""
    h = _mix(company.seed, 7, index)
    issued = today - timedelta(days=index * 37 % 100)
    total = round(500 + h % 200_000 / 4, 2)
    paid = index % 10
    state: str | None
    left, state = (0.0, "stavUhr.uhrazeno") if paid < 5 else (round(total / 2, 2), "stavUhr.castUhr")
    if paid >= 7:
        left, state = total, None
    firm = 1 + (h >> 8) % 8
    return {
        "id": index + 1,
        "kod": f"FV-{index + 1:04d}/{issued.year}",
        "firma": _ref(100 + firm, f"FIRMA{firm}", f"Firma {firm} s.r.o."),
        "datVyst": issued.isoformat(),
        "datSplat": (issued + timedelta(days=14)).isoformat(),
        "sumCelkem": total,
        "zbyvaUhradit": left,
        "stavUhrK": state,
        "storno": index % 20 == 13,
        "mena": CZK,
    }
