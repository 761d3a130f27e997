"""A run's page: timeline, results, the violation diff, errors, evidence, its alerts; cancel while live.

Polls while live and, once final, until its alerts are reviewed — then it shows them and stops. A user limited to
some companies reaches only their jobs' runs: another company's run is a 404 (``accounts/access.py``).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from compliance_monitor.accounts.access import actor, visible_executions
from compliance_monitor.accounts.roles import Role
from compliance_monitor.dashboard import queries
from compliance_monitor.dashboard.views.common import is_htmx, needs, page
from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution


def execution_or_404(request: HttpRequest, execution_id: uuid.UUID) -> Execution:
    return get_object_or_404(visible_executions(request.user).select_related("job"), pk=execution_id)


@require_GET
@needs(Role.VIEWER)
def run_detail(request: HttpRequest, execution_id: uuid.UUID) -> HttpResponse:
    execution = execution_or_404(request, execution_id)
    now = timezone.now()
    context = {
        "run": execution,
        "details": queries.run_page(execution, now=now),
        "violations_shown": queries.VIOLATIONS_SHOWN,
        "now": now,
    }
    template = "dashboard/_run_live.html" if is_htmx(request) else "dashboard/run.html"
    return page(request, template, context)


@require_POST
@needs(Role.OPERATOR)
def run_cancel(request: HttpRequest, execution_id: uuid.UUID) -> HttpResponse:
    execution = execution_or_404(request, execution_id)
    try:
        services.cancel(execution, by=actor(request.user, Role.OPERATOR), now=timezone.now())
    except services.ExecutionFinishedError as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, _("Cancelled. The job may run again at once."))
    return redirect("dashboard:run", execution_id=execution.pk)
