"""The alerts inbox: filters, acknowledge and resolve in place, badges; an alert's page with its history.

A user limited to some companies sees their alerts only; another company's alert is a 404 (``accounts/access.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from compliance_monitor.accounts.access import (
    actionable,
    actor,
    alert_actor,
    may_act_on,
    visible_alerts,
    visible_connection_rows,
)
from compliance_monitor.accounts.roles import Role, role_of
from compliance_monitor.alerts import services, texts, volume
from compliance_monitor.alerts.models import Alert
from compliance_monitor.dashboard import forms as dashboard_forms
from compliance_monitor.dashboard import queries
from compliance_monitor.dashboard.forms import ResolveForm
from compliance_monitor.dashboard.views import exceptions as exception_views
from compliance_monitor.dashboard.views.common import is_htmx, page, paginate, signed_in
from compliance_monitor.notifications import digests

ALERTS_PAGE = 50
ACKNOWLEDGED = gettext_lazy("Acknowledged alert %(alert)s.")
RESOLVED = gettext_lazy("Resolved alert %(alert)s.")


class AlertFilters(dashboard_forms.AlertFilters):
    """The inbox's filters, and the company (ERP connection) among those the user may see."""

    connection = forms.ChoiceField(choices=(), required=False, label=pgettext_lazy("ERP connection", "Company"))

    def __init__(self, *args: Any, connections: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["connection"].choices = [("", texts.ANY), *connections]  # type: ignore[attr-defined]


def connection_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(c.name, c.title or c.name) for c in visible_connection_rows(request.user).only("name", "title")]


@require_GET
@signed_in
def alert_list(request: HttpRequest) -> HttpResponse:
    visible = visible_alerts(request.user)
    connections = connection_choices(request)
    filters = AlertFilters(request.GET, warehouses=queries.distinct_warehouses(visible), connections=connections)
    alerts = paginate(request, filtered(visible, filters), ALERTS_PAGE)
    may_act = actionable(request.user)
    context = {
        "filters": filters,
        "alerts": alerts,
        "rows": [(alert, may_act(alert)) for alert in texts.prime(alerts)],  # their texts' facts, read at once
        "counts": queries.alert_counts(visible),
        "several_connections": len(connections) > 1,  # the company filter, only when there is a choice
    }
    template = "dashboard/_alerts_live.html" if is_htmx(request) else "dashboard/alerts.html"
    return page(request, template, context)


def filtered(alerts: QuerySet[Alert], filters: AlertFilters) -> QuerySet[Alert]:
    """The API's filters; bad or missing ones fall back to the defaults (every unresolved alert)."""
    data = filters.cleaned_data if filters.is_valid() else {}
    return services.filtered(
        alerts,
        state=data.get("state") or "active",
        min_severity=data.get("severity") or "low",
        warehouse=data.get("warehouse", ""),
        alert_type=data.get("type", ""),
        connection=data.get("connection", ""),
    ).select_related("job")


def alert_or_404(request: HttpRequest, alert_id: int) -> Alert:
    return get_object_or_404(visible_alerts(request.user).select_related("job"), pk=alert_id)


@require_GET
@signed_in
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = alert_or_404(request, alert_id)
    texts.prime([alert])
    context = {
        "alert": alert,
        "may_act": may_act_on(request.user, alert),
        "events": alert.events.all(),
        "deliveries": alert.deliveries.select_related("recipient").order_by("created_at", "pk"),
        "digest_items": digests.of_alert(alert, now=timezone.now()),
        "resolve_form": ResolveForm(),
        "may_accept_volume": volume.is_volume_alert(alert) and (role_of(request.user) or 0) >= Role.ADMIN,
        **exception_views.context_for(request, alert),
    }
    return page(request, "dashboard/alert.html", context)


@require_POST
@signed_in
def alert_accept_volume(request: HttpRequest, alert_id: int) -> HttpResponse:
    """An administrator accepts a collapsed read as the warehouse's real volume (recorded; resolves the alert)."""
    alert = alert_or_404(request, alert_id)
    try:
        by = actor(request.user, Role.ADMIN)
        volume.accept_alert(alert, by=by, now=timezone.now())
    except PermissionDenied as exc:
        return answer(request, alert, error=str(exc), status=403)
    except volume.NothingToAcceptError as exc:
        return answer(request, alert, error=str(exc), status=409)
    done = _("Accepted the new volume of %(warehouse)s; alert %(alert)s resolved.")
    return answer(request, alert, done=done % {"warehouse": alert.warehouse, "alert": alert.pk})


@require_POST
@signed_in
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = alert_or_404(request, alert_id)
    return act(request, alert, lambda by: services.acknowledge(alert, by=by, now=timezone.now()), ACKNOWLEDGED)


@require_POST
@signed_in
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = alert_or_404(request, alert_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return answer(request, alert, error=_("Resolution notes are required."), status=422)
    notes = form.cleaned_data["notes"]
    return act(request, alert, lambda by: services.resolve(alert, by=by, notes=notes, now=timezone.now()), RESOLVED)


def act(request: HttpRequest, alert: Alert, action: Callable[[str], Alert], done: Promise) -> HttpResponse:
    """Do ``action`` as the caller (if they may act on this alert) and answer with the outcome either way."""
    try:
        alert = action(alert_actor(request.user, alert))
    except PermissionDenied as exc:
        return answer(request, alert, error=str(exc), status=403)
    except services.AlertStateError as exc:
        return answer(request, alert, error=str(exc), status=409)
    except ValidationError as exc:
        return answer(request, alert, error=" ".join(exc.messages), status=422)
    return answer(request, alert, done=str(done) % {"alert": alert.pk})


def answer(request: HttpRequest, alert: Alert, *, done: str = "", error: str = "", status: int = 200) -> HttpResponse:
    """In place (htmx): the alert's row again, with the outcome; otherwise back to where the form was."""
    if is_htmx(request):
        alert.refresh_from_db()
        texts.prime([alert])
        context = {"alert": alert, "may_act": may_act_on(request.user, alert), "error": error, "done": done}
        return page(request, "dashboard/_alert_row.html", context, status=status)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect("dashboard:alert", alert_id=alert.pk)
