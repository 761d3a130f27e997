from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from compliance_monitor.alerts.models import Alert, AlertEvent


class AlertEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AlertEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "by", "detail")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only here: acknowledging and resolving go through the service (CLI, later the API/dashboard)."""

    list_display = ("id", "severity", "state", "type", "warehouse", "title", "raised_at", "occurrences")
    list_filter = ("state", "severity", "type", "warehouse")
    search_fields = ("title", "message", "warehouse")
    inlines = [AlertEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
