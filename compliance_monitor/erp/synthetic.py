"""A synthetic ABRA Flexi company: warehouses, goods groups, products and stock that drifts.

Rows are computed from (warehouse, row index, drift slot), never stored, so a company of
100 warehouses x 10,000 products costs no memory and any page is produced in O(page size).
About 2 % of each warehouse's rows are goods of a foreign group, and whether such a row has stock
depends on the drift slot (the date, or the time of day for the demo): violations come and go.
"""

from __future__ import annotations

from dataclasses import dataclass
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


DEMO_WAREHOUSES = (
    Warehouse(5, "MATERIAL", "Material warehouse", 3),
    Warehouse(4, "ZBOZI", "Products warehouse", 8),
    Warehouse(20, "POLOTOVARY", "Semi-products warehouse", 7),
)
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
        h = _mix(self.seed, warehouse.id, index)
        roll = h % 100
        group: Group | None = GROUP_BY_ID[warehouse.home_group]
        quantity = float(1 + (h >> 8) % 50)
        if roll < self.ungrouped_percent:
            group = None
        elif roll < self.ungrouped_percent + self.misplaced_percent:
            group = GROUPS[(GROUPS.index(group) + 1 + (h >> 4) % 3) % 4]
            quantity = float(max(0, _mix(h, slot) % 9 - 4))  # in stock in some slots, not in others
        return {"index": index, "group": group, "quantity": quantity}


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
