"""ERP connections: the list, adding, changing and removing one (admin), testing one and reading its catalog
(operator), and its page — configuration, last test, catalog, warehouse rules (``rules.py``) and jobs.

A user limited to some companies reaches only their connections: another one is a 404 (``accounts/access.py``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance_monitor.accounts.access import visible_connection_rows
from compliance_monitor.accounts.roles import Role
from compliance_monitor.alerts.models import Alert, AlertType, State
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.dashboard.connection_forms import ConnectionEditForm, ConnectionForm, RemoveConnectionForm
from compliance_monitor.dashboard.rule_lines import CatalogIndex, rule_lines
from compliance_monitor.dashboard.views.common import needs, page
from compliance_monitor.dashboard.views.jobs import attach
from compliance_monitor.erp import catalog, change_feed, connections, probe, synthetic
from compliance_monitor.erp.crypto import UndecryptableSecretError
from compliance_monitor.erp.models import Connection, FeedMode

# The change feed's modes (stored values) as people read them.
FEED_MODE_LABELS: dict[str, Promise] = {
    FeedMode.OFF: pgettext_lazy("change feed mode", "off"),
    FeedMode.POLL: pgettext_lazy("change feed mode", "poll"),
    FeedMode.HOOK: pgettext_lazy("change feed mode", "hook"),
}


def feed_mode_label(mode: str) -> str:
    return str(FEED_MODE_LABELS.get(mode, mode))


def connection_or_404(request: HttpRequest, name: str) -> Connection:
    return get_object_or_404(visible_connection_rows(request.user), name=name)


@require_GET
@needs(Role.VIEWER)
def connection_list(request: HttpRequest) -> HttpResponse:
    return list_page(request, ConnectionForm())


def list_page(request: HttpRequest, form: ConnectionForm, *, status: int = 200) -> HttpResponse:
    context = {"connections": visible_connection_rows(request.user), "form": form}
    return page(request, "dashboard/connections.html", context, status=status)


@require_POST
@needs(Role.ADMIN)
def connection_add(request: HttpRequest) -> HttpResponse:
    form = ConnectionForm(request.POST)
    if form.is_valid():
        fields = dict(form.cleaned_data)
        name = fields.pop("name")
        try:
            connection = connections.create_connection(now=timezone.now(), name=name, **fields)
        except connections.ConnectionExistsError as exc:
            form.add_error("name", str(exc))
        except ValidationError as exc:
            attach(form, exc)
        else:
            messages.success(
                request,
                _("Added connection %(name)s. Next: test it, then read its catalog.") % {"name": connection.name},
            )
            return redirect("dashboard:connection", name=connection.name)
    return list_page(request, form, status=422)


@require_GET
@needs(Role.VIEWER)
def connection_detail(request: HttpRequest, name: str) -> HttpResponse:
    return detail_page(request, connection_or_404(request, name))


def detail_page(request: HttpRequest, connection: Connection, *, status: int = 200, **extra: Any) -> HttpResponse:
    index = CatalogIndex.of(connection)
    rules = rule_lines(connection, index)
    jobs = list(connection.jobs.order_by("name"))
    context = {
        "connection": connection,
        "catalog": index.catalog,
        "index": index,
        "catalog_warnings": catalog.warnings(index.catalog),
        "test_steps": probe.shown_steps(connection.last_test_result),  # in the reader's language
        "rules": rules,
        "jobs": jobs,
        "remove_form": extra.pop("remove_form", None) or RemoveConnectionForm(),
        **feed_context(connection),
        "steps_done": {
            "tested": bool(connection.last_test_result and connection.last_test_result.get("ok")),
            "catalog": index.read,
            "rules": bool(rules),
            "jobs": bool(jobs),
        },
        **extra,
    }
    return page(request, "dashboard/connection.html", context, status=status)


def feed_context(connection: Connection) -> dict[str, Any]:
    feed = change_feed.feed_view(connection)
    warehouses = [w.code for w in synthetic.Company.demo().warehouses]
    busy = open_alert_warehouses(connection) if connection.is_demo else set()  # the booking form is the demo's
    target = booking_target(connection, warehouses, busy) if connection.is_demo else "ZBOZI"
    return {
        "feed": feed,
        "feed_lag": feed.lag_seconds(timezone.now()),
        "feed_mode_label": feed_mode_label(feed.mode),
        "feed_poll_label": feed_mode_label(FeedMode.POLL),
        "feed_hook_label": feed_mode_label(FeedMode.HOOK),
        "feed_modes": [(mode, feed_mode_label(mode)) for mode in change_feed.MODES],
        "demo_warehouses": warehouses,
        "booking_warehouse": target,
        "booking_product": "ZBO00001" if target == "MATERIAL" else "MAT00001",  # of a goods group foreign there
        "booking_is_new": target not in busy,
    }


def booking_target(connection: Connection, warehouses: list[str], busy: set[str]) -> str:
    """The demo booking's preselected warehouse: a checked one without an open alert (``busy``: those with one),
    so the booking raises a new alert."""
    checked = set(
        WarehouseRule.objects.filter(connection=connection, enabled=True).values_list("warehouse_code", flat=True)
    )
    return next((code for code in ("ZBOZI", *warehouses) if code in checked and code not in busy), "ZBOZI")


def open_alert_warehouses(connection: Connection) -> set[str]:
    alerts = Alert.objects.filter(connection=connection.name, type=AlertType.COMPLIANCE_VIOLATION)
    return set(alerts.exclude(state=State.RESOLVED).values_list("warehouse", flat=True))


@require_http_methods(["GET", "POST"])
@needs(Role.ADMIN)
def connection_edit(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(request, name)
    if request.method == "GET":
        settings = set(ConnectionEditForm.base_fields) - {"password", "remove_password"}
        form = ConnectionEditForm(initial={field: getattr(connection, field) for field in settings})
        return edit_page(request, connection, form)
    form = ConnectionEditForm(request.POST)
    if form.is_valid():
        try:
            connections.update_connection(connection, now=timezone.now(), **form.changes())
        except ValidationError as exc:
            attach(form, exc)
        else:
            messages.success(
                request,
                _("Saved connection %(name)s. Test it again to see it still answers.") % {"name": connection.name},
            )
            return redirect("dashboard:connection", name=connection.name)
    return edit_page(request, connection_or_404(request, name), form, status=422)  # afresh: the refused values


def edit_page(request: HttpRequest, connection: Connection, form: ConnectionEditForm, **kw: Any) -> HttpResponse:
    return page(request, "dashboard/connection_edit.html", {"connection": connection, "form": form}, **kw)


@require_POST
@needs(Role.ADMIN)
def connection_remove(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(request, name)
    form = RemoveConnectionForm(request.POST)
    if not form.is_valid():
        return detail_page(request, connection, status=422, remove_form=form)
    try:
        connections.delete_connection(connection)
    except connections.ConnectionInUseError as exc:
        return detail_page(request, connection, status=409, remove_error=str(exc), jobs_in_the_way=exc.jobs)
    messages.success(request, _("Removed connection %(name)s with its rules and catalog.") % {"name": name})
    return redirect("dashboard:connections")


@require_POST
@needs(Role.OPERATOR)
def connection_test(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(request, name)
    try:
        result = probe.test_connection(connection, now=timezone.now())
    except UndecryptableSecretError as exc:
        messages.error(request, _("%(error)s: set the password again.") % {"error": exc})
    else:
        if result.ok:
            messages.success(request, _("Connection %(name)s: every step passed.") % {"name": connection.name})
        else:
            messages.error(
                request, _("Connection %(name)s: the test failed, see the steps.") % {"name": connection.name}
            )
    return redirect("dashboard:connection", name=connection.name)


connection_test.__test__ = False  # type: ignore[attr-defined]  # a view, not a pytest test


@require_POST
@needs(Role.OPERATOR)
def catalog_refresh(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(request, name)
    try:
        found = catalog.refresh(connection, now=timezone.now())
    except catalog.CatalogRefreshError as exc:
        problem = {"name": connection.name, "error": exc.message}
        messages.error(request, _("Could not read the catalog of %(name)s: %(error)s") % problem)
    else:
        warehouses, groups = len(found.warehouses), len(found.goods_groups)
        counts = {
            "warehouses": ngettext("%(count)s warehouse", "%(count)s warehouses", warehouses) % {"count": warehouses},
            "groups": ngettext("%(count)s goods group", "%(count)s goods groups", groups) % {"count": groups},
        }
        text = _("Read the catalog of %(name)s: %(warehouses)s, %(groups)s.")
        messages.success(request, text % {"name": connection.name, **counts})
    return redirect(reverse("dashboard:connection", kwargs={"name": connection.name}) + "#catalog")
