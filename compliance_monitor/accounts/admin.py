"""Access per company in the admin: an inline on the user's page, and a list of every limit."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model

from compliance_monitor.accounts.models import ConnectionAccess


class ConnectionAccessInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ConnectionAccess
    extra = 0
    verbose_name = "company this user is limited to"
    verbose_name_plural = "Access per company — none listed: every company (a superuser always sees every company)"


@admin.register(ConnectionAccess)
class ConnectionAccessAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "connection")
    list_filter = ("connection",)
    search_fields = ("user__username", "connection__name")


User = get_user_model()
_registered = admin.site._registry.get(User)
if _registered is not None:  # django.contrib.auth's UserAdmin (or a project's), with the inline added
    admin.site.unregister(User)
    base = type(_registered)
    admin.site.register(User, type("UserAdmin", (base,), {"inlines": [*base.inlines, ConnectionAccessInline]}))
