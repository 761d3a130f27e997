"""The overview: health, failing ERP connections, every job's line, open alerts by severity. Polls itself while
open."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from compliance_monitor.accounts.access import visible_alerts, visible_connection_rows, visible_jobs
from compliance_monitor.accounts.roles import role_of
from compliance_monitor.dashboard import charts, queries
from compliance_monitor.dashboard.views.common import is_htmx, page, paginate, signed_in
from compliance_monitor.jobs import stats

JOBS_PAGE = 50  # a page of job lines; each costs one small indexed query (see queries.job_lines)
ATTENTION_LISTED = 10


@signed_in
def overview(request: HttpRequest) -> HttpResponse:
    if role_of(request.user) is None:
        # A warehouse manager without a role sees their alerts (a user with neither gets the 403 there).
        return redirect("dashboard:alerts")
    now = timezone.now()
    health = stats.health(now=now)
    jobs = paginate(request, visible_jobs(request.user), JOBS_PAGE)
    connections = visible_connection_rows(request.user)
    context = {
        "health": health,
        "attention": [job for job in health.jobs if job.requires_attention][:ATTENTION_LISTED],
        "jobs": jobs,
        "lines": [(line, charts.sparkline(line.durations)) for line in queries.job_lines(jobs)],
        "alerts": queries.alert_counts(visible_alerts(request.user)),
        "connection_count": connections.count(),
        "failing_connections": queries.failing_connections(connections),
        "now": now,
    }
    template = "dashboard/_overview_live.html" if is_htmx(request) else "dashboard/overview.html"
    return page(request, template, context)
