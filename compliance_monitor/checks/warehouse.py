"""The built-in rule: a warehouse holds only the goods types it may hold.

Reproduces the original three reports (MaterialWarehouseInvalidProductsReport,
ProductsProductWarehouseInvalidProductsReport, SemiProductsWarehouseInvalidProductsReport) as one
check over configurable :class:`WarehouseRule` rows: a stock row on the run's date violates when its
class (goods group, or product type) is set, is not allowed in the warehouse, and its quantity is > 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import structlog
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance_monitor.checks import concurrent
from compliance_monitor.checks.base import CheckContext, CheckOutcome, Violation
from compliance_monitor.checks.models import ClassifyBy, WarehouseRule
from compliance_monitor.erp import sources
from compliance_monitor.erp.flexi import ErpAuthError, ErpError, ErpRowCountChangedError, StockRow
from compliance_monitor.erp.models import Connection

log = structlog.get_logger(__name__)
CHECK_NAME = "warehouse.product_types"
PRODUCT_TYPE_PREFIX = "typZasoby."
ROWS_LABEL = "stock rows"


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

    def violates(self, row: StockRow) -> bool:
        if row.quantity <= 0:
            return False
        if self.classify_by == ClassifyBy.PRODUCT_TYPE:
            return bool(row.product_type) and row.product_type not in self.allowed
        return row.has_group and row.group_id not in self.allowed and row.group_code not in self.allowed

    def violation(self, row: StockRow) -> Violation:
        detail = {"group_id": row.group_id, "product_type": row.product_type, "allowed": sorted(self.allowed)}
        return Violation(
            warehouse=self.warehouse,
            product_code=row.product_code,
            product_name=row.product_name,
            goods_group=row.group_code or row.group_id,
            quantity=row.quantity,
            unit=row.unit or "ks",
            detail=detail,
        )

    def evaluate(self, rows: Iterable[StockRow]) -> CheckOutcome:
        """A complete read: every row judged and counted (the stock of the whole warehouse, so volume-guarded)."""
        violations: list[Violation] = []
        count = 0
        for count, row in enumerate(rows, start=1):  # noqa: B007 — the count is the point
            if self.violates(row):
                violations.append(self.violation(row))
        return CheckOutcome(
            CHECK_NAME,
            self.warehouse,
            tuple(violations),
            report_name=self.report_name,
            rows_read=count,
            volume_guard=True,
            rows_label=ROWS_LABEL,
        )

    def incomplete(self, problem: str) -> CheckOutcome:
        error = f"{self.warehouse}: {problem}"
        return CheckOutcome(CHECK_NAME, self.warehouse, report_name=self.report_name, error=error)


def active_rules(connection: Connection, warehouses: Iterable[str] = ()) -> list[Rule]:
    """The connection's enabled rules, limited to ``warehouses`` (codes or ids) when given; unknown ones are an
    error."""
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
    if unknown:
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


class WarehouseProductTypeCheck:
    name = CHECK_NAME

    def known_warehouses(self, connection: Connection) -> list[str]:
        rules = active_rules(connection)
        return [rule.warehouse for rule in rules] + [rule.query for rule in rules]

    def run(self, context: CheckContext) -> list[CheckOutcome]:
        """One outcome per warehouse, in rule order: a warehouse that cannot be read whole is incomplete, the others
        still count. Warehouses are read concurrently within the connection's request slots (checks/concurrent.py)."""
        connection = context.erp()
        rules = active_rules(connection, context.warehouses)
        on = run_date(context)
        reader = concurrent.ConcurrentRead(
            rules,
            read=lambda rule, source: read_scope(rule, source, on),
            open_source=lambda: sources.open_source(connection, context.now),
            slots=concurrent.slots_for(connection),
        )
        return reader.run()


def read_scope(rule: Rule, source: sources.StockSource, on: date) -> CheckOutcome:
    """Evaluate one warehouse, complete or incomplete; a row count that changed mid-read (people booking) is
    read once more before giving up. Wrong credentials raise (every warehouse would fail alike). Runs in a reading
    thread: no database here."""
    for attempt in (1, 2):
        try:
            return rule.evaluate(source.stock(rule.query, on))
        except ErpRowCountChangedError as exc:
            if attempt == 2:
                return rule.incomplete(f"{exc}, twice")
            log.info("scope_reread", warehouse=rule.warehouse, problem=str(exc))
        except ErpAuthError:
            raise
        except ErpError as exc:
            return rule.incomplete(str(exc))
    raise AssertionError("unreachable")  # pragma: no cover
