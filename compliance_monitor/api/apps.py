from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "compliance_monitor.api"
    label = "api"
    verbose_name = "API access"

    def ready(self) -> None:
        from compliance_monitor.accounts import audit, staff

        audit.register()  # the config audit of jobs, rules, recipients, windows and tokens
        staff.connect()  # whoever joins the admin group may open the Django admin
