"""A job's page: configuration and cron editor, enable/disable, run now, history, statistics, conflicts; and the
new-job page (admin). A user limited to some companies reaches only their jobs (``accounts/access.py``)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance_monitor.accounts import access
from compliance_monitor.accounts.access import actor, visible_connection_rows, visible_jobs
from compliance_monitor.accounts.roles import Role
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.dashboard import charts
from compliance_monitor.dashboard.forms import DisableForm, HistoryFilters, JobForm, JobNewForm, RunForm
from compliance_monitor.dashboard.rule_lines import job_rule_problems
from compliance_monitor.dashboard.views.common import needs, page, paginate
from compliance_monitor.erp import catalog
from compliance_monitor.erp.connections import implied_connection
from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs import anomalies, conflict_cache, cron, services, stats
from compliance_monitor.jobs.models import JOB_SETTINGS, Job

HISTORY_PAGE = 25
STATISTICS_DAYS = (7, 30, 90)
PREVIEW_RUNS = 5
ANOMALIES_SHOWN = 10  # slow or suspiciously short runs listed under the chart (all are marked on it)


def job_or_404(request: HttpRequest, name: str) -> Job:
    return get_object_or_404(visible_jobs(request.user).select_related("connection"), name=name)


@require_GET
@needs(Role.VIEWER)
def job_detail(request: HttpRequest, name: str) -> HttpResponse:
    return job_page(request, job_or_404(request, name))


def job_page(request: HttpRequest, job: Job, *, status: int = 200, **forms_: forms.Form) -> HttpResponse:
    now = timezone.now()
    days = _days(request)
    statistics = stats.statistics(job, now=now, days=days)
    found = anomalies.of_period(job, start=statistics.period_start, now=now)
    filters = HistoryFilters(request.GET)
    context = {
        "job": job,
        "edit_form": forms_.get("edit_form") or JobForm(initial={f: getattr(job, f) for f in JOB_SETTINGS}),
        "run_form": forms_.get("run_form") or RunForm(warehouses=run_warehouses(job)),
        "disable_form": forms_.get("disable_form") or DisableForm(),
        "next_runs": job.next_runs(now, count=PREVIEW_RUNS) if job.enabled else [],
        "statistics": statistics,
        "chart": charts.daily_chart(statistics.daily, charts.anomaly_counts(found, ZoneInfo(job.timezone))),
        "anomalies": found[::-1][:ANOMALIES_SHOWN],  # newest first
        "anomaly_count": len(found),
        "days": days,
        "day_choices": STATISTICS_DAYS,
        "filters": filters,
        "runs": paginate(request, _history(job, filters), HISTORY_PAGE),
        "catalog_read": catalog.has_catalog(job.connection),
        "rule_problems": job_rule_problems(job),
    }
    return page(request, "dashboard/job.html", context, status=status)


def _days(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", stats.DEFAULT_DAYS))
    except ValueError:
        return stats.DEFAULT_DAYS
    return days if days in STATISTICS_DAYS else stats.DEFAULT_DAYS


def _history(job: Job, filters: HistoryFilters) -> Any:
    runs = job.executions.defer("error_traceback", "context").order_by("-queued_at")
    if filters.is_valid():
        if filters.cleaned_data["status"]:
            runs = runs.filter(status=filters.cleaned_data["status"])
        if filters.cleaned_data["trigger"]:
            runs = runs.filter(trigger=filters.cleaned_data["trigger"])
    return runs


def run_warehouses(job: Job) -> list[str]:
    """What a manual run may be limited to: the job's warehouses, or every one its connection has a rule for."""
    if job.warehouses:
        return list(job.warehouses)
    return rule_warehouses(job.connection)


def rule_warehouses(connection: Connection | None) -> list[str]:
    rules = WarehouseRule.objects.filter(connection=connection, enabled=True).order_by("warehouse_code")
    return list(rules.values_list("warehouse_code", flat=True)) if connection is not None else []


def attach(form: forms.Form, error: ValidationError) -> None:
    """Put a service's errors next to the fields they name; others above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_messages in error.message_dict.items():
        if field in form.fields:
            form.add_error(field, field_messages)
        else:
            form.add_error(None, [f"{field}: {message}" for message in field_messages])


@require_GET
@needs(Role.VIEWER)
def job_conflicts(request: HttpRequest, name: str) -> HttpResponse:
    """The job's stored schedule conflicts (``jobs/conflict_cache.py``): read, not computed, so milliseconds."""
    job = job_or_404(request, name)
    found = conflict_cache.messages_of(job, now=timezone.now())
    return page(request, "dashboard/_conflicts.html", {"conflicts": found})


@require_POST
@needs(Role.ADMIN)
def job_edit(request: HttpRequest, name: str) -> HttpResponse:
    job = job_or_404(request, name)
    form = JobForm(request.POST)
    if form.is_valid():
        try:
            services.update_job(job, form.cleaned_data, now=timezone.now())
        except ValidationError as exc:
            attach(form, exc)
        else:
            messages.success(request, _("Saved %(job)s.") % {"job": job.name})
            return redirect("dashboard:job", name=job.name)
    job.refresh_from_db()  # the service set the refused values on this instance
    return job_page(request, job, status=422, edit_form=form)


@require_GET
@needs(Role.VIEWER)
def cron_preview(request: HttpRequest) -> HttpResponse:
    """The next runs of a cron expression being typed, or why it is refused."""
    expression, tz = request.GET.get("cron", ""), request.GET.get("timezone", "") or "UTC"
    context: dict[str, Any] = {"expression": expression, "timezone": tz}
    try:
        cron.validate_timezone(tz)
        cron.validate_cron(expression)
        context["runs"] = cron.next_fire_times(expression, tz, after=timezone.now(), count=PREVIEW_RUNS)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
    return page(request, "dashboard/_cron_preview.html", context)


@require_POST
@needs(Role.ADMIN)
def job_enable(request: HttpRequest, name: str) -> HttpResponse:
    job = services.enable(job_or_404(request, name), by=actor(request.user, Role.ADMIN), now=timezone.now())
    messages.success(request, _("Enabled %(job)s; its failure streak starts over.") % {"job": job.name})
    return redirect("dashboard:job", name=job.name)


@require_POST
@needs(Role.ADMIN)
def job_disable(request: HttpRequest, name: str) -> HttpResponse:
    job = job_or_404(request, name)
    form = DisableForm(request.POST)
    if not form.is_valid():
        return job_page(request, job, status=422, disable_form=form)
    by = actor(request.user, Role.ADMIN)
    services.disable(job, reason=form.cleaned_data["reason"], by=by, now=timezone.now())
    messages.success(request, _("Disabled %(job)s; its configuration is kept.") % {"job": job.name})
    return redirect("dashboard:job", name=job.name)


@require_POST
@needs(Role.OPERATOR)
def job_run(request: HttpRequest, name: str) -> HttpResponse:
    job = job_or_404(request, name)
    form = RunForm(request.POST, warehouses=run_warehouses(job))
    if form.is_valid():
        data = form.cleaned_data
        by = access.run_actor(request.user, force=data["force"], parameters=data["parameters"])
        try:
            execution = services.trigger(
                job,
                by=by,
                now=timezone.now(),
                parameters=data["parameters"],
                warehouses=data["warehouses"],
                reason=data["reason"],
                force=data["force"],
            )
        except services.JobDisabledError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            attach(form, exc)
        else:
            return redirect("dashboard:run", execution_id=execution.pk)
    return job_page(request, job, status=422, run_form=form)


@require_http_methods(["GET", "POST"])
@needs(Role.ADMIN)
def job_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return new_page(request, *new_form(request, None, request.GET.get("connection", "")))
    form, chosen = new_form(request, request.POST, request.POST.get("connection", ""))
    if form.is_valid():
        try:
            job = services.create_job(now=timezone.now(), **form.cleaned_data)
        except ValidationError as exc:
            attach(form, exc)
        else:
            created = _("Created job %(job)s on connection %(connection)s.")
            messages.success(request, created % {"job": job.name, "connection": job.connection.name})
            return redirect("dashboard:job", name=job.name)
    return new_page(request, form, chosen, status=422)


@require_GET
@needs(Role.ADMIN)
def job_new_warehouses(request: HttpRequest) -> HttpResponse:
    """The warehouse boxes for the connection just picked on the new-job page."""
    form, chosen = new_form(request, None, request.GET.get("connection", ""))
    return page(request, "dashboard/_job_warehouses.html", {"form": form, "connection": chosen})


def new_form(request: HttpRequest, data: Any, name: str) -> tuple[JobNewForm, Connection | None]:
    """The form offering the user's connections, and the one named (else the implied one) with its warehouses."""
    offered = list(visible_connection_rows(request.user).order_by("name"))
    chosen = next((c for c in offered if c.name == name), None if data is not None else _implied(offered))
    initial = {"connection": getattr(chosen, "name", ""), "checks": [CHECK_NAME], "timezone": settings.TIME_ZONE}
    choices = [(c.name, f"{c.name} — {c.title}" if c.title else c.name) for c in offered]
    form = JobNewForm(data, initial=initial, connections=choices, warehouses=rule_warehouses(chosen))
    return form, chosen


def _implied(offered: list[Connection]) -> Connection | None:
    try:
        implied = implied_connection()
    except Connection.DoesNotExist:
        return None
    return implied if implied in offered else next(iter(offered), None)


def new_page(request: HttpRequest, form: JobNewForm, chosen: Connection | None, *, status: int = 200) -> HttpResponse:
    return page(request, "dashboard/job_new.html", {"form": form, "connection": chosen}, status=status)
