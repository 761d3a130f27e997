from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from compliance_monitor.notifications.models import (
    Delivery,
    Digest,
    InboxMessage,
    MaintenanceWindow,
    Recipient,
)


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "name",
        "email",
        "user",
        "warehouses",
        "is_administrator",
        "is_escalation_contact",
        "medium_policy",
        "digest_cadence",
        "language",
        "active",
    )
    list_filter = ("active", "is_administrator", "is_escalation_contact", "digest_cadence", "language")
    fieldsets = (
        (None, {"fields": ("name", "active", "email", "user", "apprise_url", "language")}),
        (
            gettext_lazy("Responsible for"),
            {"fields": ("connection", "warehouses", "is_administrator", "is_escalation_contact")},
        ),
        (
            gettext_lazy("Delivery policy"),
            {
                "description": gettext_lazy(
                    "Critical alerts are always sent at once, quiet hours or not. The other severities: at once, or "
                    "in a digest (what was raised, changed and resolved, grouped by company and warehouse). During "
                    "quiet hours immediate notifications wait for their end, digests are merged."
                ),
                "fields": (
                    ("high_policy", "medium_policy", "low_policy"),
                    ("digest_cadence", "digest_time"),
                    "time_zone",
                    ("quiet_hours_start", "quiet_hours_end"),
                ),
            },
        ),
    )


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("warehouse", "job", "starts_at", "ends_at", "reason")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Delivery state is visible here: status, attempts, last error, fallback."""

    list_display = (
        "id",
        "alert",
        "digest",
        "recipient",
        "channel",
        "reason",
        "status",
        "attempts",
        "last_error",
        "created_at",
    )
    list_filter = ("status", "channel", "reason")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: which period of whose alerts each digest covered (its deliveries are in Deliveries)."""

    list_display = ("id", "recipient", "period_start", "period_end", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A user's inbox is theirs: staff see their own messages here, a superuser everyone's."""

    list_display = ("user", "title", "created_at", "read_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboxMessage]:
        messages = super().get_queryset(request)
        return messages if request.user.is_superuser else messages.filter(user_id=request.user.pk)
