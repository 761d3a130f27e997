from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import JOB_STATE, Execution, Job

ENGINE_FIELDS = (
    *(f for f in JOB_STATE if f != "enabled"),
    "lease_owner",
    "lease_expires_at",
    "created_at",
    "updated_at",
)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "cron", "timezone", "enabled", "next_run_at", "last_status", "consecutive_failures")
    list_filter = ("enabled",)
    search_fields = ("name", "description")
    readonly_fields = ENGINE_FIELDS

    def save_model(self, request: HttpRequest, obj: Job, form: Any, change: bool) -> None:
        # Through the service, so beat's copy of the schedule follows every admin edit.
        services.save_job(obj, now=timezone.now())

    def delete_model(self, request: HttpRequest, obj: Job) -> None:
        services.delete_job(obj)


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id",
        "job",
        "status",
        "trigger",
        "triggered_by",
        "queued_at",
        "duration_seconds",
        "violation_reports",
    )
    list_filter = ("status", "trigger", "job")
    date_hierarchy = "queued_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
