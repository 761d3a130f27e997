"""Test data for the connection, rule and new-job pages: a second company ("acme") and its stored catalog."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from compliance_monitor.erp import catalog, connections
from compliance_monitor.erp.models import Catalog, Connection
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company

PASSWORD = "Acme-secret-9931"
WAREHOUSES = [
    {"id": "61", "code": "SUROVINY", "name": "Raw materials"},
    {"id": "62", "code": "ZBOZI", "name": "Finished goods"},
]
GROUPS = [
    {"id": "1", "code": "ZBOZI", "name": "Goods"},
    {"id": "3", "code": "MATERIAL", "name": "Material"},
    {"id": "8", "code": "VYROBEK", "name": "Product"},
]


def acme_server() -> Iterator[FlexiServer]:
    server = FlexiServer(FlexiState.of(Company.other("acme"), username="api", password=PASSWORD)).start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def acme(url: str = "http://127.0.0.1:9", **fields: Any) -> Connection:
    values: dict[str, Any] = {"title": "Acme s.r.o.", "base_url": url, "company": "acme", "username": "api"}
    values |= {"password": PASSWORD, "timeout_seconds": 2.0}
    return connections.create_connection(now=timezone.now(), name="acme", **{**values, **fields})


def stored_catalog(connection: Connection, **lists: Any) -> Catalog:
    """A catalog as a refresh stores it, without asking an ERP."""
    types = [{"id": "", "code": code, "name": name} for code, name in catalog.PRODUCT_TYPES.items()]
    values = {"warehouses": WAREHOUSES, "goods_groups": GROUPS, "product_types": types, **lists}
    found, _ = Catalog.objects.update_or_create(
        connection=connection, defaults={**values, "refreshed_at": timezone.now(), "error": "", "error_at": None}
    )
    return found
