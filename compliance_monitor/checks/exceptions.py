"""Accepted exceptions: an operator accepts one violation (connection + check + scope + identity) with a reason
until a date. A run sets such violations aside before anything counts them: its result lists them as accepted,
its count, status, legacy message and so its alert and severity leave them out. When the exception expires (or is
revoked) the next run counts the violation again — and the alert says so (``alerts/raising.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from compliance_monitor.checks import registry
from compliance_monitor.checks.base import CheckOutcome, Violation
from compliance_monitor.checks.models import AcceptedException
from compliance_monitor.erp.models import Connection

log = structlog.get_logger(__name__)
LONGEST = timedelta(days=366)  # an exception is for a season, not for ever: renew it with a new reason
Scope = tuple[str, str, str]  # connection, check, warehouse


def standing(at: datetime) -> QuerySet[AcceptedException]:
    """The exceptions in force at ``at``."""
    not_revoked = Q(revoked_at__isnull=True) | Q(revoked_at__gt=at)
    return AcceptedException.objects.filter(not_revoked, created_at__lte=at, expires_at__gt=at)


def set_aside(outcomes: Iterable[CheckOutcome], *, connection: str, at: datetime) -> tuple[CheckOutcome, ...]:
    """``outcomes`` with every violation an exception standing at ``at`` accepts moved to ``accepted``."""
    outcomes = tuple(outcomes)
    if not any(outcome.violations for outcome in outcomes):
        return outcomes
    by_scope: dict[Scope, dict[str, AcceptedException]] = {}
    for exception in standing(at).order_by("created_at", "pk"):  # the newest word on an identity wins
        scope = (exception.connection, exception.check_name, exception.warehouse)
        by_scope.setdefault(scope, {})[exception.identity] = exception
    if not by_scope:
        return outcomes
    return tuple(_set_aside(outcome, by_scope.get(_scope(outcome, connection), {})) for outcome in outcomes)


def _scope(outcome: CheckOutcome, connection: str) -> Scope:
    return (outcome.connection or connection, outcome.check, outcome.warehouse)


def _set_aside(outcome: CheckOutcome, accepted: dict[str, AcceptedException]) -> CheckOutcome:
    if not accepted or outcome.error:
        return outcome
    kept = tuple(v for v in outcome.violations if v.product_code not in accepted)
    if len(kept) == len(outcome.violations):
        return outcome
    aside = tuple(entry(v, accepted[v.product_code]) for v in outcome.violations if v.product_code in accepted)
    return replace(outcome, violations=kept, accepted=aside)


def entry(violation: Violation, exception: AcceptedException) -> dict[str, Any]:
    """What a result keeps of an accepted violation: the violation, and whose word set it aside until when."""
    return {
        "product_code": violation.product_code,
        "product_name": violation.product_name,
        "quantity": violation.quantity,
        "unit": violation.unit,
        "exception": exception.pk,
        "reason": exception.reason,
        "by": exception.created_by,
        "until": exception.expires_at.isoformat(),
    }


def accept(
    *,
    connection: str,
    check: str,
    warehouse: str,
    identity: str,
    reason: str,
    expires_at: datetime,
    by: str,
    now: datetime,
) -> AcceptedException:
    """Accept one violation until ``expires_at``; a clear error naming the field for anything else."""
    fields = {"connection": connection, "check": check, "warehouse": warehouse, "identity": identity}
    errors = {name: ["required"] for name, value in fields.items() if not value.strip()}
    if connection.strip() and not Connection.objects.filter(name=connection.strip()).exists():
        errors["connection"] = [f"no ERP connection named {connection.strip()!r}"]
    if check.strip() and check.strip() not in registry.names():
        errors["check"] = [f"no check named {check.strip()!r}"]
    if not reason.strip():
        errors["reason"] = ["say why this violation is legitimate"]
    if expires_at <= now:
        errors["expires_at"] = ["must be in the future"]
    elif expires_at > now + LONGEST:
        errors["expires_at"] = [f"at most {LONGEST.days} days ahead: an exception is renewed, not kept for ever"]
    if errors:
        raise ValidationError(errors)
    exception = AcceptedException.objects.create(
        connection=connection.strip(),
        check_name=check.strip(),
        warehouse=warehouse.strip(),
        identity=identity.strip(),
        reason=reason.strip(),
        expires_at=expires_at,
        created_by=by,
        created_at=now,
    )
    log.info("exception_accepted", exception=exception.pk, check=check, warehouse=warehouse, by=by)
    return exception


def revoke(exception_id: int, *, by: str, now: datetime) -> bool:
    """End an exception now (the violation counts again from the next run); False when it no longer stood. Saved
    row by row under its lock, so the configuration audit records who revoked it."""
    with transaction.atomic():
        found = (
            AcceptedException.objects.select_for_update()
            .filter(pk=exception_id, revoked_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if found is None:
            return False
        found.revoked_at, found.revoked_by = now, by
        found.save(update_fields=["revoked_at", "revoked_by"])
    log.info("exception_revoked", exception=exception_id, by=by)
    return True
