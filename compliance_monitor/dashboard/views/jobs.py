"""A job's page: configuration and cron editor, enable/disable, run now, history, statistics, conflicts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from compliance_monitor.accounts import access
from compliance_monitor.accounts.access import actor
from compliance_monitor.accounts.roles import Role
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.dashboard import charts
from compliance_monitor.dashboard.forms import DisableForm, HistoryFilters, JobForm, RunForm
from compliance_monitor.dashboard.views.common import needs, page, paginate
from compliance_monitor.jobs import conflict_cache, cron, services, stats
from compliance_monitor.jobs.models import JOB_SETTINGS, Job

HISTORY_PAGE = 25
STATISTICS_DAYS = (7, 30, 90)
PREVIEW_RUNS = 5


def job_or_404(name: str) -> Job:
    return get_object_or_404(Job, name=name)


@require_GET
@needs(Role.VIEWER)
def job_detail(request: HttpRequest, name: str) -> HttpResponse:
    return job_page(request, job_or_404(name))


def job_page(request: HttpRequest, job: Job, *, status: int = 200, **forms_: forms.Form) -> HttpResponse:
    now = timezone.now()
    days = _days(request)
    statistics = stats.statistics(job, now=now, days=days)
    filters = HistoryFilters(request.GET)
    context = {
        "job": job,
        "edit_form": forms_.get("edit_form") or JobForm(initial={f: getattr(job, f) for f in JOB_SETTINGS}),
        "run_form": forms_.get("run_form") or RunForm(warehouses=run_warehouses(job)),
        "disable_form": forms_.get("disable_form") or DisableForm(),
        "next_runs": job.next_runs(now, count=PREVIEW_RUNS) if job.enabled else [],
        "statistics": statistics,
        "chart": charts.daily_chart(statistics.daily),
        "days": days,
        "day_choices": STATISTICS_DAYS,
        "filters": filters,
        "runs": paginate(request, _history(job, filters), HISTORY_PAGE),
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
    """What a manual run may be limited to: the job's warehouses, or every configured one."""
    if job.warehouses:
        return list(job.warehouses)
    return list(WarehouseRule.objects.filter(enabled=True).values_list("warehouse_code", flat=True))


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
    job = job_or_404(name)
    found = conflict_cache.messages_of(job, now=timezone.now())
    return page(request, "dashboard/_conflicts.html", {"conflicts": found})


@require_POST
@needs(Role.ADMIN)
def job_edit(request: HttpRequest, name: str) -> HttpResponse:
    job = job_or_404(name)
    form = JobForm(request.POST)
    if form.is_valid():
        try:
            services.update_job(job, form.cleaned_data, now=timezone.now())
        except ValidationError as exc:
            attach(form, exc)
        else:
            messages.success(request, f"Saved {job.name}.")
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
    job = services.enable(job_or_404(name), by=actor(request.user, Role.ADMIN), now=timezone.now())
    messages.success(request, f"Enabled {job.name}; its failure streak starts over.")
    return redirect("dashboard:job", name=job.name)


@require_POST
@needs(Role.ADMIN)
def job_disable(request: HttpRequest, name: str) -> HttpResponse:
    job = job_or_404(name)
    form = DisableForm(request.POST)
    if not form.is_valid():
        return job_page(request, job, status=422, disable_form=form)
    by = actor(request.user, Role.ADMIN)
    services.disable(job, reason=form.cleaned_data["reason"], by=by, now=timezone.now())
    messages.success(request, f"Disabled {job.name}; its configuration is kept.")
    return redirect("dashboard:job", name=job.name)


@require_POST
@needs(Role.OPERATOR)
def job_run(request: HttpRequest, name: str) -> HttpResponse:
    job = job_or_404(name)
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
