from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils import timezone


class ErpAppConfig(AppConfig):
    name = "compliance_monitor.erp"
    label = "erp"
    verbose_name = "ERP connections"

    def ready(self) -> None:
        post_migrate.connect(ensure_connections_after_migrate, sender=self, dispatch_uid="erp-ensure-connections")


def ensure_connections_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate`` (and a test database's flush): the ``default`` connection from ``CM_ERP_*``, or the demo."""
    from compliance_monitor.erp import connections as services
    from compliance_monitor.erp.models import Connection

    if using != "default" or Connection._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated to a state without the table (e.g. `migrate erp zero`)
    services.ensure_connections(now=timezone.now())
