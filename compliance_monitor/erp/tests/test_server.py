from __future__ import annotations

import httpx

from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.erp.tests.conftest import PASSWORD

STOCK = "/c/demo/stav-skladu-k-datu.json"


def get(server: FlexiServer, path: str, **params: str) -> httpx.Response:
    return httpx.get(server.url + path, params=params, auth=("api", PASSWORD))


def test_lists_default_to_twenty_rows_and_limit_zero_means_all(flexi: FlexiServer) -> None:
    assert len(get(flexi, STOCK, sklad="5", datum="2026-01-01").json()["winstrom"]["stav-skladu-k-datu"]) == 20
    body = get(flexi, STOCK, sklad="5", datum="2026-01-01", limit="0", **{"add-row-count": "true"}).json()
    assert body["winstrom"]["@rowCount"] == "40" and len(body["winstrom"]["stav-skladu-k-datu"]) == 40


def test_relations_are_code_strings_unless_expanded_with_includes(flexi: FlexiServer) -> None:
    summary = get(flexi, STOCK, sklad="code:MATERIAL", datum="2026-01-01").json()["winstrom"]["stav-skladu-k-datu"][0]
    assert summary["cenik"] == "code:MAT00000" and summary["skupZboz"] == "code:MATERIAL"
    full = get(flexi, STOCK, sklad="5", datum="2026-01-01", detail="custom:cenik(kod)", includes="/x/cenik").json()
    assert full["winstrom"]["stav-skladu-k-datu"][0]["cenik"][0]["kod"] == "MAT00000"


def test_the_query_endpoint_takes_paging_from_the_body(flexi: FlexiServer) -> None:
    response = httpx.post(
        flexi.url + "/c/demo/stav-skladu-k-datu/query.json?sklad=5&datum=2026-01-01",
        json={"winstrom": {"@version": "1.0", "limit": 5, "start": 35, "add-row-count": "true"}},
        auth=("api", PASSWORD),
    )
    assert len(response.json()["winstrom"]["stav-skladu-k-datu"]) == 5


def test_errors_have_the_flexi_shape(flexi: FlexiServer) -> None:
    missing_date = get(flexi, STOCK, sklad="5")
    assert missing_date.status_code == 400 and missing_date.json()["winstrom"]["success"] == "false"
    assert get(flexi, "/c/other/sklad.json").status_code == 404
    assert httpx.get(flexi.url + "/c.json").status_code == 401  # no credentials
    assert get(flexi, "/c.json").json()["winstrom"]["companies"][0]["dbNazev"] == "demo"


def test_warehouses_and_goods_groups_are_listed(flexi: FlexiServer) -> None:
    warehouses = get(flexi, "/c/demo/sklad.json").json()["winstrom"]["sklad"]
    assert {w["kod"] for w in warehouses} == {"MATERIAL", "ZBOZI", "POLOTOVARY"}
    groups = get(flexi, "/c/demo/skupina-zbozi.json").json()["winstrom"]["skupina-zbozi"]
    assert {g["id"] for g in groups} == {"1", "3", "7", "8"}
