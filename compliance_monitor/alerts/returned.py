"""A violation an accepted exception set aside counts again once the exception expired or was revoked
(``checks/exceptions.py``): the alert it joins records which products count again and tells its recipients — even
when its count or severity did not change otherwise (``raising._compliance``)."""

from __future__ import annotations

from datetime import datetime

from compliance_monitor.alerts.changes import Change, event
from compliance_monitor.alerts.models import EventKind
from compliance_monitor.checks.models import CheckResult

SHOWN = 50  # products named on the event; its count says how many


def returned_codes(result: CheckResult) -> list[str]:
    """The products this read counts that the scope's previous read listed as accepted."""
    previous = result.compared_with
    if previous is None or not previous.accepted:
        return []
    accepted = {entry["product_code"] for entry in previous.accepted}
    return sorted(set(result.violations.filter(product_code__in=accepted).values_list("product_code", flat=True)))


def told(changes: list[Change], codes: list[str], now: datetime) -> list[Change]:
    """``changes`` of one scope's alert, with the products counting again recorded on it — and a change that
    notifies them, unless one of ``changes`` notifies already (its message then names them too)."""
    if not codes or not changes:
        return changes
    alert = changes[0].alert
    event(alert, EventKind.EXCEPTION_ENDED, now, {"products": codes[:SHOWN], "count": len(codes)})
    if any(change.notify for change in changes):
        return changes
    return [*changes, Change(alert, EventKind.EXCEPTION_ENDED, notify=True)]
