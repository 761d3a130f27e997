"""A connection's warehouse rules (admin): add, change, delete — picked from the connection's catalog."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from compliance_monitor.accounts.roles import Role
from compliance_monitor.checks import rules
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.dashboard.connection_forms import RuleForm
from compliance_monitor.dashboard.rule_lines import CatalogIndex
from compliance_monitor.dashboard.views.common import needs, page
from compliance_monitor.dashboard.views.connections import connection_or_404
from compliance_monitor.dashboard.views.jobs import attach
from compliance_monitor.erp.models import Connection


def rule_or_404(request: HttpRequest, name: str, rule_id: int) -> WarehouseRule:
    connection = connection_or_404(request, name)
    return get_object_or_404(WarehouseRule.objects.select_related("connection"), connection=connection, pk=rule_id)


def rules_url(connection: Connection) -> str:
    return reverse("dashboard:connection", kwargs={"name": connection.name}) + "#rules"


@require_http_methods(["GET", "POST"])
@needs(Role.ADMIN)
def rule_add(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(request, name)
    index = CatalogIndex.of(connection)
    if request.method == "GET":
        return rule_page(request, connection, RuleForm(index=index), index)
    form = RuleForm(request.POST, index=index)
    if form.is_valid():
        try:
            rule = rules.create_rule(connection, now=timezone.now(), **form.fields_for_service())
        except ValidationError as exc:
            attach(form, exc)
        else:
            messages.success(request, _("Added the rule for warehouse %(code)s.") % {"code": rule.warehouse_code})
            return redirect(rules_url(connection))
    return rule_page(request, connection, form, index, status=422)


@require_http_methods(["GET", "POST"])
@needs(Role.ADMIN)
def rule_edit(request: HttpRequest, name: str, rule_id: int) -> HttpResponse:
    rule = rule_or_404(request, name, rule_id)
    connection, index = rule.connection, CatalogIndex.of(rule.connection)
    if request.method == "GET":
        return rule_page(request, connection, RuleForm(index=index, rule=rule), index, rule=rule)
    form = RuleForm(request.POST, index=index, rule=rule)
    if form.is_valid():
        try:
            rules.update_rule(rule, now=timezone.now(), **form.fields_for_service())
        except ValidationError as exc:
            attach(form, exc)
        else:
            messages.success(request, _("Saved the rule for warehouse %(code)s.") % {"code": rule.warehouse_code})
            return redirect(rules_url(connection))
    return rule_page(request, connection, form, index, rule=rule_or_404(request, name, rule_id), status=422)


def rule_page(
    request: HttpRequest, connection: Connection, form: RuleForm, index: CatalogIndex, **kw: Any
) -> HttpResponse:
    rule = kw.pop("rule", None)
    context = {"connection": connection, "form": form, "index": index, "rule": rule}
    return page(request, "dashboard/rule_form.html", context, **kw)


@require_POST
@needs(Role.ADMIN)
def rule_delete(request: HttpRequest, name: str, rule_id: int) -> HttpResponse:
    rule = rule_or_404(request, name, rule_id)
    rules.delete_rule(rule, now=timezone.now())
    messages.success(request, _("Deleted the rule for warehouse %(code)s.") % {"code": rule.warehouse_code})
    return redirect(rules_url(rule.connection))
