"""The accepted exceptions (issue 16): those standing, those ending within two weeks, or all of them — each with
its company, check, warehouse, product, reason, who accepted it until when, and the open alert of its scope.

Anyone with a role sees those of their companies, a warehouse's manager those of their warehouses
(``accounts.access.visible_in_warehouses``). Accepting and revoking stay on the alert's page (``exceptions.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from compliance_monitor.accounts.access import visible_alerts, visible_in_warehouses
from compliance_monitor.alerts.models import Alert, AlertType, State
from compliance_monitor.checks import exceptions
from compliance_monitor.checks.models import AcceptedException
from compliance_monitor.dashboard.views.common import page, paginate, signed_in

EXPIRING = timedelta(days=14)
PER_PAGE = 50
FILTERS = {
    "standing": pgettext_lazy("accepted exceptions", "standing"),
    "expiring": pgettext_lazy("accepted exceptions", "ending within 14 days"),
    "all": pgettext_lazy("accepted exceptions", "all, with ended and revoked ones"),
}
Scope = tuple[str, str, str]  # connection, check, warehouse


def chosen(rows: str, now: datetime) -> QuerySet[AcceptedException]:
    if rows == "all":
        return AcceptedException.objects.order_by("-created_at", "-pk")
    standing = exceptions.standing(now)
    if rows == "expiring":
        standing = standing.filter(expires_at__lte=now + EXPIRING)
    return standing.order_by("expires_at", "pk")


def open_alerts(user: Any, found: list[AcceptedException]) -> dict[Scope, Alert]:
    """The open (not resolved) alert of each exception's scope that ``user`` may see: there it is revoked."""
    if not found:
        return {}
    alerts = (
        visible_alerts(user)
        .filter(
            type=AlertType.COMPLIANCE_VIOLATION,
            connection__in={e.connection for e in found},
            check_name__in={e.check_name for e in found},
            warehouse__in={e.warehouse for e in found},
        )
        .exclude(state=State.RESOLVED)
        .order_by("raised_at", "pk")  # the latest one of a scope wins below
    )
    return {(a.connection, a.check_name, a.warehouse): a for a in alerts}


def state_of(exception: AcceptedException, now: datetime) -> str:
    if exception.revoked_at is not None and exception.revoked_at <= now:
        return "revoked"
    if exception.expires_at <= now:
        return "ended"
    return "standing" if exception.created_at <= now else "later"


@require_GET
@signed_in
def exception_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    shown = request.GET.get("show", "standing")
    shown = shown if shown in FILTERS else "standing"
    rows = visible_in_warehouses(request.user, chosen(shown, now))  # 403 naming the role for anyone else
    found = paginate(request, rows, PER_PAGE)
    alerts = open_alerts(request.user, list(found))
    context = {
        "filters": list(FILTERS.items()),
        "shown": shown,
        "exceptions": found,
        "rows": [
            (e, state_of(e, now), alerts.get((e.connection, e.check_name, e.warehouse)), e.expires_at <= now + EXPIRING)
            for e in found
        ],
    }
    return page(request, "dashboard/exceptions.html", context)
