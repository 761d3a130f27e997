from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from compliance_monitor.checks.models import CheckResult
from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import JOB_SETTINGS, JOB_STATE, Execution, Job

ENGINE_FIELDS = (
    *(f for f in JOB_STATE if f != "enabled"),
    "lease_owner",
    "lease_expires_at",
    "created_at",
    "updated_at",
)


class JobForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Job
        fields = ("name", *JOB_SETTINGS, "enabled")

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # Django's documented-by-source hook after instance cleaning
        # The service's validation (check names, warehouses), shown on the form instead of failing the save.
        try:
            services.validate_job(self.instance)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, messages)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = JobForm
    list_display = ("name", "cron", "timezone", "enabled", "next_run_at", "last_status", "consecutive_failures")
    list_filter = ("enabled",)
    search_fields = ("name", "description")
    readonly_fields = ENGINE_FIELDS

    def save_model(self, request: HttpRequest, obj: Job, form: Any, change: bool) -> None:
        # Through the service, so beat's copy of the schedule follows every admin edit.
        services.save_job(obj, now=timezone.now())

    def delete_model(self, request: HttpRequest, obj: Job) -> None:
        services.delete_job(obj)


class CheckResultInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CheckResult
    extra = 0
    can_delete = False
    fields = ("check_name", "warehouse", "status", "violation_count", "message", "report_name")
    readonly_fields = fields
    show_change_link = True  # to the result's violations

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    inlines = [CheckResultInline]
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
