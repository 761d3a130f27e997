"""ERP connections: the list with each one's last test, adding one (admin), testing one (operator)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from compliance_monitor.accounts.roles import Role
from compliance_monitor.dashboard.connection_forms import ConnectionForm
from compliance_monitor.dashboard.views.common import needs, page
from compliance_monitor.dashboard.views.jobs import attach
from compliance_monitor.erp import connections, probe
from compliance_monitor.erp.crypto import UndecryptableSecretError
from compliance_monitor.erp.models import Connection


def connection_or_404(name: str) -> Connection:
    return get_object_or_404(Connection, name=name)


@require_GET
@needs(Role.VIEWER)
def connection_list(request: HttpRequest) -> HttpResponse:
    return list_page(request, ConnectionForm())


def list_page(request: HttpRequest, form: ConnectionForm, *, status: int = 200) -> HttpResponse:
    context = {"connections": Connection.objects.all(), "form": form}
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
            messages.success(request, f"Added connection {connection.name}.")
            return redirect("dashboard:connection", name=connection.name)
    return list_page(request, form, status=422)


@require_GET
@needs(Role.VIEWER)
def connection_detail(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(name)
    return page(request, "dashboard/connection.html", {"connection": connection})


@require_POST
@needs(Role.OPERATOR)
def connection_test(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(name)
    try:
        result = probe.test_connection(connection, now=timezone.now())
    except UndecryptableSecretError as exc:
        messages.error(request, f"{exc}: set the password again.")
    else:
        if result.ok:
            messages.success(request, f"Connection {connection.name}: every step passed.")
        else:
            messages.error(request, f"Connection {connection.name}: the test failed, see the steps.")
    return redirect("dashboard:connection", name=connection.name)


connection_test.__test__ = False  # type: ignore[attr-defined]  # a view, not a pytest test
