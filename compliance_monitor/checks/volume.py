"""The volume guard: a scope whose rows read collapse is *suspect*, so its alerts are not resolved.

A read of a whole scope (the stock of a warehouse) that returns 0 rows, or fewer than a fraction
(``CM_VOLUME_GUARD_FRACTION``, 10 %) of the median of its last complete reads, is more likely an ERP
problem (a wrong filter, an emptied view, a restore in progress) than a warehouse that emptied itself.
Checks that read offenders only (where 0 rows means "fixed") opt out with ``volume_guard=False``.

An administrator who knows the new volume is real accepts it: that read becomes the new baseline.
"""

from __future__ import annotations

import statistics
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet

from compliance_monitor.checks.base import CheckOutcome
from compliance_monitor.checks.models import CheckResult, ResultStatus

COMPLETE = (ResultStatus.PASSED, ResultStatus.VIOLATED)


class NothingToAcceptError(Exception):
    """No suspect read of that scope is waiting for acceptance."""


def scope_results(connection: str, check: str, warehouse: str) -> QuerySet[CheckResult]:
    """The complete reads of one scope by runs that looked at "now"."""
    return CheckResult.objects.filter(
        connection=connection, check_name=check, warehouse=warehouse, status__in=COMPLETE, is_current=True
    )


def baseline(connection: str, check: str, warehouse: str) -> list[int]:
    """Rows of the scope's last complete, trusted reads, since the latest accepted volume (inclusive)."""
    reads = scope_results(connection, check, warehouse).filter(rows_read__isnull=False)
    accepted = reads.filter(volume_accepted_at__isnull=False).order_by("-pk").values_list("pk", flat=True).first()
    if accepted is not None:
        reads = reads.filter(pk__gte=accepted)
    trusted = reads.filter(Q(volume_note="") | Q(volume_accepted_at__isnull=False))
    limit = settings.CM_VOLUME_GUARD_HISTORY
    return [
        int(rows) for rows in trusted.order_by("-pk").values_list("rows_read", flat=True)[:limit] if rows is not None
    ]


def assess(outcome: CheckOutcome) -> str:
    """Why this complete read looks collapsed, for people; "" when it looks normal or is not guarded."""
    if not outcome.volume_guard or outcome.error or outcome.rows_read is None:
        return ""
    history = baseline(outcome.connection, outcome.check, outcome.warehouse)
    usual = statistics.median(history) if history else None
    return judge(outcome.warehouse, outcome.rows_read, usual, outcome.rows_label)


def judge(scope: str, rows: int, usual: float | None, label: str = "rows") -> str:
    fraction = settings.CM_VOLUME_GUARD_FRACTION
    if usual is None:
        return f"{scope} returned 0 {label} on its first read" if rows == 0 else ""
    if (rows == 0 and usual > 0) or rows < fraction * usual:
        return f"{scope} returned {rows:,} {label}, usually about {round(usual):,}"
    return ""


def latest_suspect(connection: str, check: str, warehouse: str) -> CheckResult | None:
    """The scope's newest complete read, when it is a suspect one (an older suspect read is history)."""
    newest = scope_results(connection, check, warehouse).order_by("-pk").first()
    return newest if newest is not None and newest.is_suspect else None


def accept(connection: str, check: str, warehouse: str, *, by: str, now: datetime) -> CheckResult:
    """Accept the newest suspect read of a scope as its real volume; it becomes the new baseline."""
    result = latest_suspect(connection, check, warehouse)
    if result is None:
        raise NothingToAcceptError(f"no suspect read of {check} {warehouse} ({connection}) is waiting for acceptance")
    result.volume_accepted_by, result.volume_accepted_at = by, now
    result.save(update_fields=["volume_accepted_by", "volume_accepted_at"])
    return result
