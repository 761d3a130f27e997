"""A connection's catalog as the pages use it: names for the codes rules hold, choices for the rule form, and
what the catalog does not know (flagged next to the rule).

One catalog read per page (``CatalogIndex``), judging codes as ``erp.catalog.unknown_codes`` does: a warehouse by
code or id, a goods group by id or code, a product type by code with or without ``typZasoby.``. The job page asks
``unknown_codes`` itself, per rule of its connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from compliance_monitor.checks.models import ClassifyBy, WarehouseRule
from compliance_monitor.erp import catalog
from compliance_monitor.erp.models import Catalog, Connection
from compliance_monitor.jobs.models import Job

Choice = tuple[str, str]
# How a rule judges goods (``ClassifyBy``'s stored values), as people read it in their language.
CLASSIFY_BY_LABELS: dict[str, Promise] = {
    ClassifyBy.GOODS_GROUP: gettext_lazy("Goods group (skupZboz)"),
    ClassifyBy.PRODUCT_TYPE: gettext_lazy("Product card type (typZasobyK)"),
}


@dataclass(frozen=True)
class Label:
    """A code a rule holds, with the catalog's name for it; ``known`` False: the catalog does not list it."""

    value: str
    code: str
    name: str
    known: bool

    def __str__(self) -> str:
        return f"{self.code} — {self.name}" if self.name else self.code


@dataclass(frozen=True)
class RuleLine:
    rule: WarehouseRule
    warehouse: Label
    allowed: list[Label]

    @property
    def judged_by(self) -> str:
        return str(CLASSIFY_BY_LABELS.get(self.rule.classify_by, self.rule.get_classify_by_display()))

    @property
    def unknown(self) -> list[str]:
        """The codes to flag, the warehouse first ([] while the catalog was never read)."""
        return [label.value for label in (self.warehouse, *self.allowed) if not label.known]


class CatalogIndex:
    """The stored catalog of a connection, looked up by code or id; never read: every code counts as known."""

    def __init__(self, found: Catalog | None) -> None:
        self.catalog = found
        self.read = found is not None and found.refreshed_at is not None
        self.warehouses = _entries(found.warehouses if self.read and found else [])
        self.goods_groups = _entries(found.goods_groups if self.read and found else [])
        self.product_types = _entries(found.product_types if self.read and found else [])

    @classmethod
    def of(cls, connection: Connection) -> CatalogIndex:
        return cls(catalog.catalog_of(connection))

    def warehouse(self, code: str) -> Label:
        return self._label(self.warehouses, code, code)

    def allowed(self, value: str, classify_by: str) -> Label:
        if classify_by == ClassifyBy.PRODUCT_TYPE:
            prefix = catalog.PRODUCT_TYPE_PREFIX
            return self._label(self.product_types, value, value if value.startswith(prefix) else prefix + value)
        return self._label(self.goods_groups, value, value)

    def line(self, rule: WarehouseRule) -> RuleLine:
        allowed = [self.allowed(str(value), rule.classify_by) for value in rule.allowed if str(value)]
        return RuleLine(rule, self.warehouse(rule.warehouse_code), allowed)

    def warehouse_choices(self) -> list[Choice]:
        return [(entry["code"], _text(entry)) for entry in self.warehouses if entry["code"]]

    def allowed_choices(self, classify_by: str) -> list[Choice]:
        """Goods groups by code (by id when a group has no code), or product types by their ``typZasoby.`` code."""
        entries = self.product_types if classify_by == ClassifyBy.PRODUCT_TYPE else self.goods_groups
        return [(entry["code"] or entry["id"], _text(entry)) for entry in entries if entry["code"] or entry["id"]]

    def choice_value(self, value: str, classify_by: str) -> str:
        """The form's value for a stored one (a goods group's id → its code); unknown values stay as they are."""
        label = self.allowed(value, classify_by)
        return (label.code or value) if label.known and self.read else value

    def _label(self, entries: list[dict[str, str]], value: str, wanted: str) -> Label:
        for entry in entries:
            if wanted in (entry["code"], entry["id"]):
                return Label(value, entry["code"] or entry["id"], entry["name"], known=True)
        return Label(value, value, "", known=not self.read or not value)


def rule_lines(connection: Connection, index: CatalogIndex | None = None) -> list[RuleLine]:
    index = index or CatalogIndex.of(connection)
    return [index.line(rule) for rule in connection.warehouse_rules.order_by("warehouse_code")]


def job_rule_problems(job: Job) -> list[tuple[WarehouseRule, list[str]]]:
    """The job's rules (its warehouses, or all of its connection's enabled ones) naming codes the catalog does
    not know, each with those codes."""
    rules = WarehouseRule.objects.filter(connection=job.connection, enabled=True).order_by("warehouse_code")
    if job.warehouses:
        rules = rules.filter(warehouse_code__in=job.warehouses)
    found = []
    for rule in rules:
        unknown = catalog.unknown_codes(job.connection, rule.warehouse_code, rule.allowed, rule.classify_by)
        if unknown:
            found.append((rule, unknown))
    return found


def _entries(rows: Iterable[Any]) -> list[dict[str, str]]:
    rows = rows if isinstance(rows, list) else []
    return [{key: str(row.get(key) or "") for key in ("id", "code", "name")} for row in rows if isinstance(row, dict)]


def _text(entry: dict[str, str]) -> str:
    return f"{entry['code'] or entry['id']} — {entry['name']}" if entry["name"] else entry["code"] or entry["id"]
