"""Warehouse rule use cases: create, change, delete — validated, one rule per warehouse of a connection.

``warehouse_id`` is filled from the connection's catalog when the warehouse code is known there (the check then
asks the ERP by id); a code the catalog does not know is kept (the pages flag it) with no id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from django.core.exceptions import ValidationError

from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.erp import catalog
from compliance_monitor.erp.models import Connection

log = structlog.get_logger(__name__)
EDITABLE = frozenset({"warehouse_code", "warehouse_id", "report_name", "classify_by", "allowed", "enabled"})


def create_rule(
    connection: Connection,
    *,
    now: datetime,
    warehouse_code: str,
    classify_by: str,
    allowed: list[str],
    report_name: str = "",
    enabled: bool = True,
    warehouse_id: int | None = None,
) -> WarehouseRule:
    rule = WarehouseRule(connection=connection)
    fields: dict[str, Any] = {"warehouse_code": warehouse_code, "classify_by": classify_by, "allowed": allowed}
    fields |= {"report_name": report_name, "enabled": enabled, "warehouse_id": warehouse_id}
    return _save(rule, now, fields, created=True)


def update_rule(rule: WarehouseRule, *, now: datetime, **fields: Any) -> WarehouseRule:
    """Change the fields given; a new warehouse code without ``warehouse_id`` takes the catalog's id (or none)."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    if "warehouse_code" in fields and fields["warehouse_code"] != rule.warehouse_code:
        fields.setdefault("warehouse_id", None)
    return _save(rule, now, fields, created=False)


def delete_rule(rule: WarehouseRule, *, now: datetime) -> None:
    log.info("warehouse_rule_deleted", connection=rule.connection.name, warehouse=rule.warehouse_code, at=str(now))
    rule.delete()


def _save(rule: WarehouseRule, now: datetime, fields: dict[str, Any], *, created: bool) -> WarehouseRule:
    if "warehouse_code" in fields:
        fields["warehouse_code"] = str(fields["warehouse_code"] or "").strip()
    if "allowed" in fields:
        fields["allowed"] = _allowed(fields["allowed"])
    for field, value in fields.items():
        setattr(rule, field, value)
    if rule.warehouse_id is None:
        rule.warehouse_id = _catalog_id(rule.connection, rule.warehouse_code)
    _validate(rule)
    rule.save()
    event = "warehouse_rule_created" if created else "warehouse_rule_updated"
    log.info(event, connection=rule.connection.name, warehouse=rule.warehouse_code, at=str(now))
    return rule


def _allowed(value: Any) -> Any:
    """Strings stripped; anything but a non-empty list of non-blank strings is refused by :func:`_validate`."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return value
    return list(dict.fromkeys(item.strip() for item in value if item.strip())) or value


def _validate(rule: WarehouseRule) -> None:
    errors: dict[str, list[str]] = {}
    try:
        rule.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    allowed = rule.allowed
    if not isinstance(allowed, list) or not allowed or not all(isinstance(v, str) and v.strip() for v in allowed):
        errors["allowed"] = ["allowed must be a non-empty list of goods groups or product types"]
    taken = WarehouseRule.objects.filter(connection=rule.connection, warehouse_code=rule.warehouse_code)
    if rule.warehouse_code and taken.exclude(pk=rule.pk).exists():
        errors.setdefault("warehouse_code", []).append(
            f"warehouse {rule.warehouse_code} has a rule on connection {rule.connection.name} already: edit that one"
        )
    if errors:
        raise ValidationError(errors)


def _catalog_id(connection: Connection, code: str) -> int | None:
    found = catalog.catalog_of(connection)
    if found is None or found.refreshed_at is None:
        return None
    for entry in found.warehouses if isinstance(found.warehouses, list) else []:
        if isinstance(entry, dict) and entry.get("code") == code and str(entry.get("id", "")).isdigit():
            return int(entry["id"])
    return None
