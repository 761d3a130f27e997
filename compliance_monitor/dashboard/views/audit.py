"""The config audit: who changed which job, rule, recipient, maintenance window or token, before → after."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from compliance_monitor.accounts import access, audit
from compliance_monitor.accounts.roles import Role
from compliance_monitor.dashboard.views.common import needs, page

AUDIT_PAGE = 50
MODEL_LABELS = {
    "job": "Jobs",
    "rule": "Warehouse rules",
    "recipient": "Recipients",
    "maintenance": "Maintenance windows",
    "token": "API tokens",
    "access": "Access per company",
}


class AuditFilters(forms.Form):
    model = forms.ChoiceField(
        required=False, choices=[("", "everything"), *((key, MODEL_LABELS.get(key, key)) for key in audit.MODEL_KEYS)]
    )
    object = forms.CharField(required=False, max_length=200, label="Object")


Row = tuple[dict[str, Any], list[tuple[str, str, str]]]


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
        (entry, [(name, shown(old), shown(new)) for name, (old, new) in entry["changes"].items()]) for entry in entries
    ]


def shown(value: Any) -> str:
    """A value as the API gives it (JSON), "–" for none."""
    if value is None or value == "":
        return "–"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
