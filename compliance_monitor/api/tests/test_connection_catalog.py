"""/api/v1/connections/{name}/catalog: viewers read what a connection's ERP holds, operators read it again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from compliance_monitor.api.tests.conftest import Api
from compliance_monitor.erp import connections
from compliance_monitor.erp.models import Catalog
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company

PASSWORD = "api-Cat-Secret-4410"


@pytest.fixture(autouse=True)
def no_retries(settings: Any) -> None:
    settings.CM_ERP_RETRIES = 0  # a failing server fails at once: no backoff sleeps


@pytest.fixture
def server() -> Iterator[FlexiServer]:
    state = FlexiState.of(Company(), Company.other("acme"), username="api", password=PASSWORD)
    flexi = FlexiServer(state).start_in_thread()
    yield flexi
    flexi.shutdown()
    flexi.server_close()


@pytest.fixture
def acme(db: None, server: FlexiServer) -> None:
    fields = {"base_url": server.url, "company": "acme", "username": "api", "password": PASSWORD}
    connections.create_connection(now=timezone.now(), name="acme", timeout_seconds=2.0, **fields)


def codes(entries: list[dict[str, str]]) -> list[str]:
    return [entry["code"] for entry in entries]


def test_viewers_read_the_catalog_and_operators_refresh_it(as_role: Callable[[str], Api], acme: None) -> None:
    anonymous, viewer, operator = (as_role(role) for role in ("anonymous", "viewer", "operator"))

    assert anonymous.call("GET", "/connections/acme/catalog").status_code == 401
    never = viewer.call("GET", "/connections/acme/catalog")
    assert never.status_code == 200
    assert never.json() == {
        "warehouses": [],
        "goods_groups": [],
        "product_types": [],
        "refreshed_at": None,
        "error": "",
        "error_at": None,
        "warnings": [],
    }
    assert viewer.call("POST", "/connections/acme/catalog/refresh").status_code == 403
    assert not Catalog.objects.exists()

    fresh = operator.call("POST", "/connections/acme/catalog/refresh")

    assert fresh.status_code == 200
    assert fresh.json()["warehouses"] == [
        {"id": "61", "code": "SUROVINY", "name": "Raw materials"},
        {"id": "62", "code": "ZBOZI", "name": "Finished goods"},
    ]
    assert codes(fresh.json()["goods_groups"]) == ["ZBOZI", "MATERIAL", "POLOTOVAR", "VYROBEK"]
    assert "typZasoby.material" in codes(fresh.json()["product_types"])
    assert fresh.json()["refreshed_at"] is not None and fresh.json()["error"] == ""
    assert viewer.call("GET", "/connections/acme/catalog").json() == fresh.json()


def test_the_demo_connections_catalog_comes_from_the_built_in_company(as_role: Callable[[str], Api]) -> None:
    fresh = as_role("admin").call("POST", "/connections/demo/catalog/refresh")

    assert fresh.status_code == 200 and codes(fresh.json()["warehouses"]) == [
        "ZBOZI",
        "MATERIAL",
        "POLOTOVARY",
        "EXPEDICE",
    ]


def test_an_unknown_connection_is_404(as_role: Callable[[str], Api]) -> None:
    operator = as_role("operator")

    assert operator.call("GET", "/connections/nope/catalog").status_code == 404
    assert operator.call("POST", "/connections/nope/catalog/refresh").status_code == 404


def test_a_failed_refresh_is_502_in_plain_words_and_the_catalog_keeps_its_lists(
    as_role: Callable[[str], Api], acme: None, server: FlexiServer
) -> None:
    viewer, operator = as_role("viewer"), as_role("operator")
    before = operator.call("POST", "/connections/acme/catalog/refresh").json()
    server.set_faults(status=401)

    failed = operator.call("POST", "/connections/acme/catalog/refresh")

    assert failed.status_code == 502
    detail = failed.json()["detail"]
    assert "ERP rejected the credentials of user 'api' (HTTP 401)" in detail and PASSWORD not in detail
    after = viewer.call("GET", "/connections/acme/catalog").json()
    assert after["warehouses"] == before["warehouses"] and after["refreshed_at"] == before["refreshed_at"]
    assert after["error"] == detail and after["error_at"] is not None


def test_a_login_page_instead_of_json_is_named_as_such(
    as_role: Callable[[str], Api], acme: None, server: FlexiServer
) -> None:
    server.set_faults(html=True)

    failed = as_role("operator").call("POST", "/connections/acme/catalog/refresh")

    assert failed.status_code == 502 and "an HTML page, not JSON" in failed.json()["detail"]


def test_an_erp_without_warehouses_is_shown_with_a_warning(
    as_role: Callable[[str], Api], acme: None, server: FlexiServer
) -> None:
    server.state.companies["acme"] = Company(code="acme", warehouses=())

    fresh = as_role("operator").call("POST", "/connections/acme/catalog/refresh")

    assert fresh.status_code == 200 and fresh.json()["warehouses"] == []
    assert fresh.json()["warnings"] == ["the ERP has no warehouses (sklad): there is nothing to check"]


def test_the_catalog_operations_are_in_the_openapi_schema(as_role: Callable[[str], Api]) -> None:
    paths = as_role("viewer").call("GET", "/openapi.json").json()["paths"]

    assert "get" in paths["/api/v1/connections/{name}/catalog"]
    assert "502" in paths["/api/v1/connections/{name}/catalog/refresh"]["post"]["responses"]
