from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class ChecksConfig(AppConfig):
    name = "compliance_monitor.checks"
    label = "checks"

    def ready(self) -> None:
        from compliance_monitor.checks import registry
        from compliance_monitor.checks.warehouse import WarehouseProductTypeCheck

        registry.register(WarehouseProductTypeCheck())

        if settings.CM_DIAGNOSTIC_CHECKS:
            from compliance_monitor.checks import diagnostics

            for check in diagnostics.ALL:
                registry.register(check)
