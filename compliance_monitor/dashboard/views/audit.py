"""The config audit: who changed which job, rule, recipient, maintenance window or token, before → after."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from compliance_monitor.accounts import access, audit
from compliance_monitor.accounts.roles import Role
from compliance_monitor.dashboard.views.common import needs, page

AUDIT_PAGE = 50
MODEL_LABELS: dict[str, Promise] = {  # the filter's choices
    "job": gettext_lazy("Jobs"),
    "rule": gettext_lazy("Warehouse rules"),
    "exception": gettext_lazy("Accepted exceptions"),
    "recipient": gettext_lazy("Recipients"),
    "maintenance": gettext_lazy("Maintenance windows"),
    "token": gettext_lazy("API tokens"),
    "connection": gettext_lazy("ERP connections"),
    "access": gettext_lazy("Access per company"),
}
# An entry's model, action and the changes nobody made (``audit.SYSTEM``), as people read them; the keys are the
# API's (?model=job) and stay as they are.
MODEL_NAMES: dict[str, Promise] = {
    "job": pgettext_lazy("audited model", "job"),
    "rule": pgettext_lazy("audited model", "warehouse rule"),
    "exception": pgettext_lazy("audited model", "accepted exception"),
    "recipient": pgettext_lazy("audited model", "recipient"),
    "maintenance": pgettext_lazy("audited model", "maintenance window"),
    "token": pgettext_lazy("audited model", "API token"),
    "connection": pgettext_lazy("audited model", "connection"),
    "access": pgettext_lazy("audited model", "access"),
}
ACTION_NAMES: dict[str, Promise] = {
    "create": pgettext_lazy("audit action", "create"),
    "update": pgettext_lazy("audit action", "update"),
    "delete": pgettext_lazy("audit action", "delete"),
}
SYSTEM_NAME = pgettext_lazy("audit: who changed it", "system")


class AuditFilters(forms.Form):
    model = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Model"),
        choices=[("", gettext_lazy("everything")), *((key, MODEL_LABELS.get(key, key)) for key in audit.MODEL_KEYS)],
    )
    object = forms.CharField(required=False, max_length=200, label=gettext_lazy("Object"))


Row = tuple[dict[str, Any], list[tuple[str, str, str]], dict[str, str]]


@require_GET
@needs(Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    access.require_every_connection(request.user, "the configuration audit")
    filters = AuditFilters(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    trail = audit.entries(model=data.get("model") or None, name=(data.get("object") or "").strip() or None)
    entries: Page[dict[str, Any]] = Paginator(trail, AUDIT_PAGE).get_page(request.GET.get("page"))  # bad: nearest
    return page(request, "dashboard/audit.html", {"filters": filters, "entries": entries, "rows": rows_of(entries)})


def rows_of(entries: Page[dict[str, Any]]) -> list[Row]:
    return [
        (entry, [(name, shown(old), shown(new)) for name, (old, new) in entry["changes"].items()], said(entry))
        for entry in entries
    ]


def said(entry: dict[str, Any]) -> dict[str, str]:
    """The entry's model, action and who, in the reader's language (a user's name as it is)."""
    model, action, who = str(entry["model"]), str(entry["action"]), str(entry["who"])
    return {
        "model": str(MODEL_NAMES.get(model, model)),
        "action": str(ACTION_NAMES.get(action, action)),
        "who": str(SYSTEM_NAME) if who == audit.SYSTEM else who,
    }


def shown(value: Any) -> str:
    """A value as the API gives it (JSON), "–" for none."""
    if value is None or value == "":
        return "–"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
