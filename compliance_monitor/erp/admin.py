"""ERP connections in the admin: the password is write-only (blank keeps the stored one); test from the list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone

from compliance_monitor.erp import probe
from compliance_monitor.erp.models import CONNECTION_SETTINGS, Connection


class ConnectionForm(forms.ModelForm):  # type: ignore[type-arg]
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only: never shown. Leave blank to keep the stored password.",
    )
    clear_password = forms.BooleanField(required=False, help_text="Remove the stored password.")

    class Meta:
        model = Connection
        fields = ("name", *CONNECTION_SETTINGS, "clear_password")

    def clean(self) -> dict[str, Any]:
        """A new password goes onto the instance encrypted (before the model is validated and saved)."""
        cleaned = super().clean() or {}
        if cleaned.get("clear_password"):
            self.instance.password = ""
        elif cleaned.get("password"):
            self.instance.password = cleaned["password"]
        return cleaned


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ConnectionForm
    list_display = ("name", "title", "company", "base_url", "enabled", "has_password", "last_test_ok", "last_tested_at")
    readonly_fields = ("is_demo", "has_password", "last_test_result", "last_tested_at", "created_at", "updated_at")
    actions = ["test_selected"]

    @admin.display(boolean=True, description="password set")
    def has_password(self, obj: Connection) -> bool:
        return obj.has_password

    @admin.display(boolean=True, description="last test ok")
    def last_test_ok(self, obj: Connection) -> bool | None:
        return None if obj.last_test_result is None else bool(obj.last_test_result.get("ok"))

    def save_model(self, request: HttpRequest, obj: Connection, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description="Test the selected connections", permissions=["change"])
    def test_selected(self, request: HttpRequest, queryset: Any) -> None:
        for connection in queryset:
            result = probe.test_connection(connection, now=timezone.now())
            failed = next((step for step in result.steps if not step.ok), None)
            if failed is None:
                self.message_user(request, f"{connection.name}: every step passed", messages.SUCCESS)
            else:
                self.message_user(request, f"{connection.name}: {failed.name} — {failed.detail}", messages.ERROR)
