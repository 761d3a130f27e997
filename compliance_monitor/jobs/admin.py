from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from compliance_monitor.checks.models import CheckResult
from compliance_monitor.erp.models import default_connection
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and "connection" in self.fields:  # a new job: the default connection offered
            self.fields["connection"].initial = default_connection()

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # Django's documented-by-source hook after instance cleaning
        # The service's validation (check names, warehouses), shown on the form instead of failing the save.
        try:
            services.validate_job(self.instance)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, messages)


MAX_REASON = Job._meta.get_field("disabled_reason").max_length or 500


class JobActionForm(ActionForm):
    reason = forms.CharField(required=False, max_length=MAX_REASON, help_text="Why (required to disable).")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Enabling and disabling are actions through the API's services (who and why recorded), not a checkbox."""

    form = JobForm
    action_form = JobActionForm
    actions = ["enable_jobs", "disable_jobs"]
    list_display = ("name", "cron", "timezone", "enabled", "next_run_at", "last_status", "consecutive_failures")
    list_filter = ("enabled",)
    search_fields = ("name", "description")
    readonly_fields = ENGINE_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Job | None = None) -> tuple[str, ...]:
        return (*ENGINE_FIELDS, "enabled") if obj is not None else ENGINE_FIELDS

    def save_model(self, request: HttpRequest, obj: Job, form: Any, change: bool) -> None:
        # Through the service, so beat's copy of the schedule follows every admin edit.
        services.save_job(obj, now=timezone.now())

    def delete_model(self, request: HttpRequest, obj: Job) -> None:
        services.delete_job(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        with transaction.atomic():  # one conflict recompute for the lot, after commit
            for job in queryset:
                services.delete_job(job)  # one by one, so each schedule leaves beat too

    @admin.action(description="Enable the selected jobs (resets their failure streak)", permissions=["change"])
    def enable_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        now, by = timezone.now(), request.user.get_username()
        with transaction.atomic():
            for job in queryset:
                services.enable(job, by=by, now=now)
        self.message_user(request, f"Enabled {len(queryset)} job(s).")

    @admin.action(description="Disable the selected jobs, with the reason given", permissions=["change"])
    def disable_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason or len(reason) > MAX_REASON:
            self.message_user(request, f"Give a reason (at most {MAX_REASON} characters).", messages.ERROR)
            return
        now, by = timezone.now(), request.user.get_username()
        with transaction.atomic():
            for job in queryset:
                services.disable(job, reason=reason, by=by, now=now)
        self.message_user(request, f"Disabled {len(queryset)} job(s): {reason}")


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
