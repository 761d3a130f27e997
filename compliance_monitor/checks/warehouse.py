"""Warehouse rules: which goods each warehouse of a connection may hold — the scopes of the original reports.

The original three reports (MaterialWarehouseInvalidProductsReport, ProductsProductWarehouseInvalidProductsReport,
SemiProductsWarehouseInvalidProductsReport) are the shipped check definition ``warehouse.product_types``
(``checks/library/warehouse.product_types.yaml``): a stock row on the run's date violates when its class (goods
group, or product type) is set, is not allowed in the warehouse, and its quantity is > 0. Its scopes are
``values: rules``: one per enabled :class:`WarehouseRule` of the connection, each giving the definition its own
``${allowed}`` and ``${by_type}`` (``checks/defined.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance_monitor.checks.base import CheckContext
from compliance_monitor.checks.models import ClassifyBy, WarehouseRule
from compliance_monitor.erp.models import Connection

CHECK_NAME = "warehouse.product_types"
PRODUCT_TYPE_PREFIX = "typZasoby."


@dataclass(frozen=True)
class Rule:
    """A :class:`WarehouseRule` as plain data, ready to judge rows fast."""

    warehouse: str
    query: str  # what to send as ``sklad``: the id when known, else the code
    report_name: str
    classify_by: str
    allowed: frozenset[str]

    @classmethod
    def of(cls, model: WarehouseRule) -> Rule:
        allowed = {str(value) for value in model.allowed}
        if model.classify_by == ClassifyBy.PRODUCT_TYPE:
            allowed = {v if v.startswith(PRODUCT_TYPE_PREFIX) else PRODUCT_TYPE_PREFIX + v for v in allowed}
        query = str(model.warehouse_id) if model.warehouse_id else model.warehouse_code
        return cls(model.warehouse_code, query, model.report_name, model.classify_by, frozenset(allowed))


def active_rules(connection: Connection, warehouses: Iterable[str] = (), *, strict: bool = True) -> list[Rule]:
    """The connection's enabled rules, limited to ``warehouses`` (codes or ids) when given; unknown ones are an
    error (``strict``) or left out."""
    rules = [Rule.of(model) for model in WarehouseRule.objects.filter(connection=connection, enabled=True)]
    if not rules:
        # Checking nothing must not look like a pass.
        raise ValidationError(
            f"no warehouse rule is enabled for connection {connection.name!r}: nothing to check "
            "(add rules on the connection's page in the dashboard)"
        )
    wanted = set(warehouses)
    if not wanted:
        return rules
    unknown = wanted - {r.warehouse for r in rules} - {r.query for r in rules}
    if unknown and strict:
        known = ", ".join(r.warehouse for r in rules) or "none"
        raise ValidationError(f"unknown warehouse(s) {', '.join(sorted(unknown))}; configured: {known}")
    return [r for r in rules if r.warehouse in wanted or r.query in wanted]


def run_date(context: CheckContext) -> date:
    """The stock date: ``parameters["date"]`` (YYYY-MM-DD) or today in the service's time zone."""
    value = context.parameters.get("date")
    if value:
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(f"parameter 'date' must be YYYY-MM-DD, got {value!r}") from None
    return timezone.localtime(context.now).date()
