"""Accepted exceptions on an alert's page: accept one of its violations with a reason until a date, see which
stand, revoke one. Who may act on the alert (an operator, the warehouse's manager) may do both."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from compliance_monitor.accounts.access import (
    actor,
    alert_actor,
    may_act_on,
    scope_actor,
    visible_alerts,
    visible_in_warehouses,
)
from compliance_monitor.accounts.roles import Role, role_of
from compliance_monitor.alerts.models import Alert, AlertType
from compliance_monitor.checks import exceptions
from compliance_monitor.checks.models import AcceptedException
from compliance_monitor.dashboard.views.common import signed_in


class AcceptForm(forms.Form):
    identity = forms.CharField(max_length=100, label=gettext_lazy("Product"))
    reason = forms.CharField(max_length=2000, label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 2}))
    until = forms.DateField(
        label=gettext_lazy("Until (the end of that day)"), widget=forms.DateInput(attrs={"type": "date"})
    )


def context_for(request: HttpRequest, alert: Alert) -> dict[str, Any]:
    """What the alert's page shows of exceptions: those standing on its scope, and the form to add one."""
    if alert.type != AlertType.COMPLIANCE_VIOLATION:
        return {}
    standing = exceptions.standing(timezone.now()).filter(
        connection=alert.connection, check_name=alert.check_name, warehouse=alert.warehouse
    )
    first = alert.violation_details[0]["product_code"] if alert.violation_details else ""
    default_until = timezone.localdate() + timedelta(days=90)
    form = AcceptForm(initial={"identity": first, "until": default_until})
    may_accept = (role_of(request.user) or 0) >= Role.OPERATOR and may_act_on(request.user, alert)
    return {
        "exceptions": standing,
        "accept_form": form,
        "may_accept": may_accept,  # an operator accepts; a warehouse's manager may not waive their own violations
        "may_revoke": may_act_on(request.user, alert),  # revoking only makes a violation count again
    }


@require_POST
@signed_in
def accept(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = alert_or_404(request, alert_id)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items())
        return back(request, alert, error=_("Not accepted — %(problems)s") % {"problems": problems})
    data = form.cleaned_data
    try:
        found = exceptions.accept(
            connection=alert.connection,
            check=alert.check_name,
            warehouse=alert.warehouse,
            identity=data["identity"],
            reason=data["reason"],
            expires_at=end_of(data["until"]),
            by=_operator(request, alert),
            now=timezone.now(),
        )
    except PermissionDenied as exc:
        return back(request, alert, error=str(exc))
    except ValidationError as exc:
        return back(request, alert, error=_("Not accepted — %(problems)s") % {"problems": "; ".join(_problems(exc))})
    until = timezone.localtime(found.expires_at).strftime("%Y-%m-%d")
    done = _("%(product)s is accepted until %(day)s: from the next run it is listed, not counted.") % {
        "product": found.identity,
        "day": until,
    }
    return back(request, alert, done=done)


@require_POST
@signed_in
def revoke(request: HttpRequest, alert_id: int, exception_id: int) -> HttpResponse:
    alert = alert_or_404(request, alert_id)
    found = get_object_or_404(visible_in_warehouses(request.user, AcceptedException.objects.all()), pk=exception_id)
    try:
        by = scope_actor(request.user, found.connection, found.warehouse, missing="no such exception")
    except PermissionDenied as exc:
        return back(request, alert, error=str(exc))
    if not exceptions.revoke(found.pk, by=by, now=timezone.now()):
        return back(
            request, alert, error=_("The exception for %(product)s no longer stands.") % {"product": found.identity}
        )
    return back(request, alert, done=_("%(product)s counts again from the next run.") % {"product": found.identity})


def _operator(request: HttpRequest, alert: Alert) -> str:
    """Operators of the alert's company accept exceptions; a warehouse's manager alone may not."""
    alert_actor(request.user, alert)  # another company's alert: a 404
    return actor(request.user, Role.OPERATOR)


def alert_or_404(request: HttpRequest, alert_id: int) -> Alert:
    return get_object_or_404(visible_alerts(request.user), pk=alert_id)


def end_of(day: Any) -> datetime:
    """The end of ``day`` in the installation's time zone: "until 31 March" includes 31 March."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _problems(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()]
    return list(exc.messages)


def back(request: HttpRequest, alert: Alert, *, done: str = "", error: str = "") -> HttpResponse:
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect("dashboard:alert", alert_id=alert.pk)
