"""The local Flexi-format server with several companies, an HTML-page fault and a per-request latency."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company

AUTH = ("api", "pw")


@pytest.fixture
def two() -> Iterator[FlexiServer]:
    state = FlexiState.of(Company(), Company.other("acme"), username="api", password="pw")
    server = FlexiServer(state).start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def rows(server: FlexiServer, path: str, evidence: str) -> list[dict[str, str]]:
    return list(httpx.get(server.url + path, auth=AUTH).json()["winstrom"][evidence])


def test_every_company_is_listed_and_served_with_its_own_warehouse_ids_and_codes(two: FlexiServer) -> None:
    assert [c["dbNazev"] for c in rows(two, "/c.json", "companies")] == ["demo", "acme"]
    demo = {w["kod"]: w["id"] for w in rows(two, "/c/demo/sklad.json", "sklad")}
    acme = {w["kod"]: w["id"] for w in rows(two, "/c/acme/sklad.json", "sklad")}
    assert demo == {"MATERIAL": "5", "ZBOZI": "4", "POLOTOVARY": "20"}
    assert acme == {"SUROVINY": "61", "ZBOZI": "62"}  # ZBOZI again, under another id
    stock = "/c/acme/stav-skladu-k-datu.json?sklad=code:SUROVINY&datum=2026-01-01"
    assert rows(two, stock, "stav-skladu-k-datu")[0]["id"] == "61000000"
    assert (
        httpx.get(two.url + "/c/demo/stav-skladu-k-datu.json?sklad=61&datum=2026-01-01", auth=AUTH).status_code == 400
    )
    assert httpx.get(two.url + "/c/nope/sklad.json", auth=AUTH).status_code == 404


def test_the_first_company_can_still_be_swapped_by_tests(two: FlexiServer) -> None:
    two.state.company = Company(code="fresh")
    assert [c["dbNazev"] for c in rows(two, "/c.json", "companies")] == ["fresh", "acme"]


def test_an_html_page_fault_answers_with_a_login_page(two: FlexiServer) -> None:
    two.set_faults(html=True, remaining=1)
    page = httpx.get(two.url + "/c.json", auth=AUTH)
    assert page.headers["Content-Type"].startswith("text/html") and page.text.startswith("<!DOCTYPE html>")
    assert httpx.get(two.url + "/c.json", auth=AUTH).headers["Content-Type"].startswith("application/json")


def test_a_latency_delays_every_answer_until_switched_off(two: FlexiServer) -> None:
    two.state.latency_seconds = 0.2
    started = time.monotonic()
    httpx.get(two.url + "/c.json", auth=AUTH)
    assert time.monotonic() - started >= 0.2
    two.state.latency_seconds = 0.0
    started = time.monotonic()
    httpx.get(two.url + "/c.json", auth=AUTH)
    assert time.monotonic() - started < 0.2
