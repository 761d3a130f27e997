"""Tests' way to read a local Flexi-format server: a connection to it that the default rules and jobs use."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.utils import timezone

from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.erp.models import DEFAULT_NAME, Connection
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.jobs.models import Job


def connect_to(server: FlexiServer, *, name: str = DEFAULT_NAME, company: str = "demo", **fields: Any) -> Connection:
    """A connection ``name`` to ``server`` (user ``api``/``pw``, no retries) holding every rule and job that
    exist: the installation's default connection, as ``CM_ERP_*`` would make it."""
    values: dict[str, Any] = {
        "base_url": server.url,
        "company": company,
        "username": "api",
        "updated_at": timezone.now(),
    }
    connection, _ = Connection.objects.update_or_create(name=name, defaults={**values, **fields})
    if connection.password != "pw" and "password" not in fields:
        connection.password = "pw"
        connection.save()
    WarehouseRule.objects.update(connection=connection)
    Job.objects.update(connection=connection)
    ensure_original_reports()
    return connection


def ensure_original_reports() -> None:
    """The definition warehouse.product_types as its migration installs it (a flush removes the migration's row)."""
    upgrade = importlib.import_module("compliance_monitor.checks.migrations.0007_original_reports_as_definition")
    upgrade.install(apps, None)
