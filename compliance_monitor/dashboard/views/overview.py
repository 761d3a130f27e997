"""The overview: health, every job's line, open alerts by severity. Polls itself while open."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from compliance_monitor.accounts.access import visible_alerts
from compliance_monitor.accounts.roles import role_of
from compliance_monitor.dashboard import charts, queries
from compliance_monitor.dashboard.views.common import is_htmx, page, signed_in
from compliance_monitor.jobs import services, stats


@signed_in
def overview(request: HttpRequest) -> HttpResponse:
    if role_of(request.user) is None:
        # A warehouse manager without a role sees their alerts (a user with neither gets the 403 there).
        return redirect("dashboard:alerts")
    now = timezone.now()
    lines = queries.job_lines(services.all_jobs())
    context = {
        "health": stats.health(now=now),
        "lines": [(line, charts.sparkline(line.durations)) for line in lines],
        "alerts": queries.alert_counts(visible_alerts(request.user)),
        "now": now,
    }
    template = "dashboard/_overview_live.html" if is_htmx(request) else "dashboard/overview.html"
    return page(request, template, context)
