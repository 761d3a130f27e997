from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class ChecksConfig(AppConfig):
    name = "compliance_monitor.checks"
    label = "checks"

    def ready(self) -> None:
        # The original reports are the shipped definition warehouse.product_types (migration 0007), not code.
        from compliance_monitor.checks import registry

        if settings.CM_DIAGNOSTIC_CHECKS:
            from compliance_monitor.checks import diagnostics

            for check in diagnostics.ALL:
                registry.register(check)
