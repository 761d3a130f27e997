"""/api/v1/jobs — job configurations, their runs, statistics; enable, disable, trigger."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from compliance_monitor.accounts import access
from compliance_monitor.accounts.roles import Role
from compliance_monitor.api.routers.common import ERRORS, actor
from compliance_monitor.api.schemas import (
    EXECUTION_FIELDS,
    DisableIn,
    ExecutionOut,
    JobIn,
    JobOut,
    JobPatch,
    StatisticsOut,
    TriggerIn,
    TriggerOut,
)
from compliance_monitor.erp.connections import implied_connection
from compliance_monitor.jobs import conflict_cache, services, stats
from compliance_monitor.jobs.models import Job, failure_rate, is_healthy, requires_attention

router = Router(tags=["jobs"])


def job_or_404(request: HttpRequest, name: str) -> Job:
    """A job the user may see (another company's is a 404, as if it did not exist)."""
    return get_object_or_404(access.visible_jobs(request.user), name=name)


def job_out(job: Job, conflict_messages: list[str]) -> dict[str, Any]:
    fields = {name: getattr(job, name) for name in JobOut.model_fields if hasattr(job, name)}
    return {**fields, "connection": job.connection.name, "schedule_conflicts": conflict_messages}


def with_conflict(job: Job) -> dict[str, Any]:
    """One job with its schedule conflicts, as stored when schedules last changed (``jobs/conflict_cache.py``)."""
    return job_out(job, conflict_cache.messages_of(job, now=timezone.now()))


LISTED_COLUMNS = tuple(
    field.name for field in Job._meta.concrete_fields if field.name in JobOut.model_fields and not field.is_relation
)


def listed_jobs(jobs: QuerySet[Job]) -> list[dict[str, Any]]:
    """These jobs in JobOut's shape from plain column values, with their stored schedule conflicts."""
    rows = list(jobs.values("pk", "connection_id", *LISTED_COLUMNS, connection_name=F("connection__name")))
    schedules = [tuple(row[f] for f in conflict_cache.SCHEDULE_FIELDS) for row in rows if row["enabled"]]
    stored = conflict_cache.stored(schedules, now=timezone.now())
    for row in rows:
        del row["connection_id"]
    return [listed(row, stored.get(conflict_cache.key(row.pop("pk")), [])) for row in rows]


def listed(row: dict[str, Any], conflict_messages: list[str]) -> dict[str, Any]:
    """A job's columns plus what JobOut derives from them (the model's health rules, applied to plain values)."""
    enabled, streak = row["enabled"], row["consecutive_failures"]
    rate = failure_rate(row["execution_count"], row["failure_count"])
    connection = row.pop("connection_name")
    return {
        **row,
        "connection": connection,
        "requires_attention": requires_attention(enabled, streak),
        "failure_rate": rate,
        "is_healthy": is_healthy(enabled, streak, rate),
        "schedule_conflicts": conflict_messages,
    }


@router.get("", response={200: list[JobOut], **ERRORS}, summary="All job configurations")
def list_jobs(request: HttpRequest, connection: str | None = None) -> JsonResponse:
    """``?connection=NAME``: only the jobs reading that ERP connection."""
    actor(request, Role.VIEWER)
    jobs = access.visible_jobs(request.user)
    jobs = jobs if connection is None else jobs.filter(connection__name=connection)
    # Serialized directly in JobOut's shape (schemathesis checks it) from column values: at 1,000 jobs with their
    # conflicts, ninja's per-field validation took 2/3 of the request and model instances half of the rest.
    return JsonResponse(listed_jobs(jobs), safe=False)


@router.post("", response={201: JobOut, **ERRORS}, summary="Create a job")
def create_job(request: HttpRequest, body: JobIn) -> Status[dict[str, Any]]:
    actor(request, Role.ADMIN)
    fields = body.model_dump(exclude_none=True)
    fields.setdefault("connection", implied_connection().name)
    access.require_connection(request.user, fields["connection"])
    if Job.objects.filter(name=fields["name"]).exists():
        raise HttpError(409, _("a job named %(name)s exists already") % {"name": repr(fields["name"])})
    job = services.create_job(now=timezone.now(), **fields)
    return Status(201, with_conflict(job))


@router.get("/{name}", response={200: JobOut, **ERRORS}, summary="One job")
def get_job(request: HttpRequest, name: str) -> dict[str, Any]:
    actor(request, Role.VIEWER)
    return with_conflict(job_or_404(request, name))


@router.patch("/{name}", response={200: JobOut, **ERRORS}, summary="Change schedule, limits, checks, parameters")
def update_job(request: HttpRequest, name: str, body: JobPatch) -> dict[str, Any]:
    actor(request, Role.ADMIN)
    job = job_or_404(request, name)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "connection" in changes:
        access.require_connection(request.user, changes["connection"])
    if changes:
        services.update_job(job, changes, now=timezone.now())
    return with_conflict(job)


@router.delete("/{name}", response={204: None, **ERRORS}, summary="Delete a job and its history")
def delete_job(request: HttpRequest, name: str) -> Status[None]:
    actor(request, Role.ADMIN)
    services.delete_job(job_or_404(request, name))
    return Status(204, None)


@router.post("/{name}/enable", response={200: JobOut, **ERRORS}, summary="Enable (resets the failure streak)")
def enable_job(request: HttpRequest, name: str) -> dict[str, Any]:
    by = actor(request, Role.ADMIN)
    return with_conflict(services.enable(job_or_404(request, name), by=by, now=timezone.now()))


@router.post("/{name}/disable", response={200: JobOut, **ERRORS}, summary="Disable, keeping the configuration")
def disable_job(request: HttpRequest, name: str, body: DisableIn) -> dict[str, Any]:
    by = actor(request, Role.ADMIN)
    job = services.disable(job_or_404(request, name), reason=body.reason, by=by, now=timezone.now())
    return with_conflict(job)


@router.post("/{name}/trigger", response={202: TriggerOut, **ERRORS}, summary="Run now; returns at once")
def trigger_job(request: HttpRequest, name: str, body: TriggerIn) -> Status[dict[str, Any]]:
    by = access.run_actor(request.user, force=body.force, parameters=body.parameters)
    execution = services.trigger(
        job_or_404(request, name),
        by=by,
        now=timezone.now(),
        parameters=body.parameters,
        warehouses=body.warehouses,
        reason=body.reason,
        force=body.force,
    )
    url = reverse("api-v1:get_execution", kwargs={"execution_id": execution.pk})
    return Status(202, {"execution_id": execution.pk, "status": execution.status, "url": url})


class HistoryQuery(Schema):
    limit: int = Field(services.DEFAULT_HISTORY_LIMIT, ge=1, le=services.MAX_HISTORY_LIMIT)


@router.get("/{name}/executions", response={200: list[ExecutionOut], **ERRORS}, summary="History, newest first")
def job_history(request: HttpRequest, name: str, query: Query[HistoryQuery]) -> JsonResponse:
    actor(request, Role.VIEWER)
    job = job_or_404(request, name)
    # The busiest read: serialized directly in ExecutionOut's shape (schemathesis checks it), which halves its cost.
    executions = services.history(job, limit=query.limit)
    rows = [{"execution_id": e.pk, "job": job.name, **{f: getattr(e, f) for f in EXECUTION_FIELDS}} for e in executions]
    return JsonResponse(rows, safe=False)


class StatisticsQuery(Schema):
    days: int = Field(stats.DEFAULT_DAYS, ge=1, le=stats.MAX_DAYS)


@router.get("/{name}/statistics", response={200: StatisticsOut, **ERRORS}, summary="Statistics with a daily trend")
def job_statistics(request: HttpRequest, name: str, query: Query[StatisticsQuery]) -> Any:
    actor(request, Role.VIEWER)
    return stats.statistics(job_or_404(request, name), now=timezone.now(), days=query.days)
