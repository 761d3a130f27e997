from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from compliance_monitor.checks.models import AcceptedException, CheckResult, Violation, WarehouseRule


class WarehouseRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WarehouseRule
        fields = ("warehouse_code", "warehouse_id", "report_name", "classify_by", "allowed", "enabled")

    def clean_allowed(self) -> list[str]:
        allowed = self.cleaned_data["allowed"]
        if not isinstance(allowed, list) or not allowed or not all(isinstance(v, str | int) for v in allowed):
            raise forms.ValidationError('a non-empty list of group ids, codes or product types, e.g. ["3"]')
        return [str(value) for value in allowed]


@admin.register(WarehouseRule)
class WarehouseRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = WarehouseRuleForm
    list_display = ("warehouse_code", "warehouse_id", "classify_by", "allowed", "enabled", "report_name")
    list_editable = ("enabled",)


class ViolationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Violation
    extra = 0
    can_delete = False
    fields = ("product_code", "product_name", "goods_group", "quantity", "unit")
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(CheckResult)
class CheckResultAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("execution", "check_name", "warehouse", "status", "violation_count")
    list_filter = ("status", "warehouse", "check_name")
    inlines = [ViolationInline]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AcceptedException)
class AcceptedExceptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Accepted exceptions as recorded (accepted and revoked on the alert's page or through the API)."""

    list_display = ("identity", "warehouse", "check_name", "connection", "expires_at", "created_by", "revoked_at")
    list_filter = ("connection", "check_name")
    search_fields = ("identity", "reason")
    readonly_fields = ("created_by", "created_at", "revoked_by", "revoked_at")
