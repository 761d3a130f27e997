"""A run's page: timeline, results, the violation diff, errors, evidence; cancel while live. Polls while live."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from compliance_monitor.accounts.access import actor
from compliance_monitor.accounts.roles import Role
from compliance_monitor.alerts import services as alerts
from compliance_monitor.dashboard.views.common import is_htmx, needs, page
from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution


def execution_or_404(execution_id: uuid.UUID) -> Execution:
    runs = Execution.objects.select_related("job").prefetch_related("check_results__violations")
    return get_object_or_404(runs, pk=execution_id)


@require_GET
@needs(Role.VIEWER)
def run_detail(request: HttpRequest, execution_id: uuid.UUID) -> HttpResponse:
    execution = execution_or_404(execution_id)
    context = {
        "run": execution,
        "results": execution.check_results.all(),
        "alerts": alerts.by_execution(execution.pk).order_by("-severity"),
        "now": timezone.now(),
    }
    template = "dashboard/_run_live.html" if is_htmx(request) else "dashboard/run.html"
    return page(request, template, context)


@require_POST
@needs(Role.OPERATOR)
def run_cancel(request: HttpRequest, execution_id: uuid.UUID) -> HttpResponse:
    execution = execution_or_404(execution_id)
    try:
        services.cancel(execution, by=actor(request.user, Role.OPERATOR), now=timezone.now())
    except services.ExecutionFinishedError as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, "Cancelled. The job may run again at once.")
    return redirect("dashboard:run", execution_id=execution.pk)
