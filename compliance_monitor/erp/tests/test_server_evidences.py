"""The evidences for user-defined checks, read through the local Flexi-format server over real HTTP: listing,
paging, detail/includes, field metadata, filters (in the path and in a query body) and the demo company's facts."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company

AUTH = ("api", "pw")
TODAY = date(2026, 5, 1)
COUNTS = {"sklad": 3, "skupina-zbozi": 4, "ucetni-obdobi": 3, "skladova-karta": 240, "cenik": 120, "faktura-vydana": 60}


@pytest.fixture
def flexi() -> Iterator[FlexiServer]:
    """The demo company (3 warehouses x 40 products, 60 invoices) on a fixed "today"."""
    state = FlexiState.of(Company(), Company.large(100, 1000), username="api", password="pw", today=TODAY)
    server = FlexiServer(state).start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def answer(server: FlexiServer, evidence: str, where: str = "", company: str = "demo", **params: str) -> Any:
    path = f"/c/{company}/{evidence}/({quote(where, safe='')}).json" if where else f"/c/{company}/{evidence}.json"
    return httpx.get(server.url + path, params=params, auth=AUTH, timeout=60)


def rows(server: FlexiServer, evidence: str, where: str = "", **params: str) -> list[dict[str, Any]]:
    response = answer(server, evidence, where, **{"limit": "0", **params})
    assert response.status_code == 200, response.text
    return list(response.json()["winstrom"][evidence])


@pytest.mark.parametrize("evidence", list(COUNTS))
def test_each_evidence_is_served_whole_in_pages_with_its_row_count(flexi: FlexiServer, evidence: str) -> None:
    every = rows(flexi, evidence)
    paged, start = [], 0
    while start < COUNTS[evidence]:
        body = answer(flexi, evidence, start=str(start), limit="7", **{"add-row-count": "true"}).json()["winstrom"]
        assert body["@rowCount"] == str(COUNTS[evidence])
        paged += body[evidence]
        start += 7
    assert paged == every and len(every) == COUNTS[evidence]
    assert len(answer(flexi, evidence).json()["winstrom"][evidence]) == min(20, COUNTS[evidence])  # default limit
    if evidence != "sklad":  # warehouses keep the order the company lists them in, as they always did
        assert [int(row["id"]) for row in every] == sorted({int(row["id"]) for row in every})


def test_accounting_periods_are_last_this_and_next_year(flexi: FlexiServer) -> None:
    periods = rows(flexi, "ucetni-obdobi", detail="full")
    assert [p["kod"] for p in periods] == ["2025", "2026", "2027"]
    assert (periods[1]["platiOdData"], periods[1]["platiDoData"]) == ("2026-01-01", "2026-12-31")


def test_summary_sends_only_the_fields_in_summary_and_always_the_id(flexi: FlexiServer) -> None:
    assert set(rows(flexi, "skladova-karta")[0]) == {"id", "sklad", "cenik", "ucetObdobi"}
    assert set(rows(flexi, "cenik")[0]) == {"id", "kod", "nazev"}
    assert "storno" not in rows(flexi, "faktura-vydana")[0] and "stavUhrK" in rows(flexi, "faktura-vydana")[0]
    assert rows(flexi, "cenik", detail="id")[0] == {"id": "4000000"}


def test_full_detail_sends_every_field_with_relations_as_codes(flexi: FlexiServer) -> None:
    card = rows(flexi, "skladova-karta", detail="full")[0]
    assert card == {
        "id": "1",
        "sklad": "code:ZBOZI",
        "cenik": "code:ZBO00000",
        "ucetObdobi": "code:2025",
        **{key: card[key] for key in ("stavMJ", "minMJ", "maxMJ", "rezervMJ", "dostupMj")},
    }
    assert float(card["dostupMj"]) == float(card["stavMJ"]) - float(card["rezervMJ"])
    product = rows(flexi, "cenik", detail="full")[0]
    assert product["skladove"] == "true" and product["mj1"] == "code:KS" and product["typZasobyK"].startswith("typ")


def test_custom_detail_with_includes_expands_a_relation_into_one_object_with_the_asked_fields(
    flexi: FlexiServer,
) -> None:
    detail = "custom:stavMJ,cenik(kod,typZasobyK,skupZboz)"
    card = rows(flexi, "skladova-karta", detail=detail, includes="/skladova-karta/cenik")[0]
    assert list(card) == ["id", "cenik", "stavMJ"]
    assert card["cenik"] == [{"kod": "ZBO00000", "typZasobyK": "typZasoby.vyrobek", "skupZboz": "code:VYROBEK"}]
    assert rows(flexi, "skladova-karta", detail=detail)[0]["cenik"] == "code:ZBO00000"  # not included: a code


def test_native_typing_sends_numbers_and_logic_values_as_json(flexi: FlexiServer) -> None:
    flexi.state.typing = "native"
    invoice = rows(flexi, "faktura-vydana", detail="full")[0]
    assert invoice["id"] == 1 and isinstance(invoice["sumCelkem"], float) and invoice["storno"] is False


def properties(server: FlexiServer, evidence: str) -> dict[str, dict[str, Any]]:
    body = httpx.get(f"{server.url}/c/demo/{evidence}/properties.json", auth=AUTH).json()
    return {prop["propertyName"]: prop for prop in body["properties"]["property"]}


def test_properties_describe_each_served_field_as_flexi_does(flexi: FlexiServer) -> None:
    card = properties(flexi, "skladova-karta")
    assert {name: card[name]["inSummary"] for name in ("stavMJ", "minMJ", "maxMJ", "cenik")} == {
        "stavMJ": "false",
        "minMJ": "false",
        "maxMJ": "false",
        "cenik": "true",
    }
    assert card["cenik"]["type"] == "relation" and card["cenik"]["fkEvidencePath"] == "cenik"
    assert card["ucetObdobi"]["mandatory"] == "true" and card["stavMJ"]["type"] == "numeric"
    product = properties(flexi, "cenik")
    assert all(product[name]["inSummary"] == "false" for name in ("typZasobyK", "skupZboz", "skladove"))
    stock_types = [value["@key"] for value in product["typZasobyK"]["values"]["value"]]
    assert product["typZasobyK"]["type"] == "select" and "typZasoby.material" in stock_types
    invoice = properties(flexi, "faktura-vydana")
    payment_states = {value["@key"] for value in invoice["stavUhrK"]["values"]["value"]}
    assert invoice["storno"] == {**invoice["storno"], "inSummary": "false", "type": "logic", "name": "Storno"}
    assert "stavUhr.neuhrazeno" not in payment_states and {"stavUhr.castUhr", "stavUhr.uhrazeno"} <= payment_states
    for evidence in [*COUNTS, "stav-skladu-k-datu"]:  # every served evidence, every served field described
        described = properties(flexi, evidence)
        assert "id" in described and all(prop["name"] for prop in described.values())
        if evidence in COUNTS:
            assert set(rows(flexi, evidence, detail="full")[0]) == set(described)


def demo_rows(flexi: FlexiServer, evidence: str) -> list[dict[str, Any]]:
    flexi.state.typing = "native"
    return rows(flexi, evidence, detail="full", includes=f"/{evidence}/cenik,/{evidence}/sklad")


def code(relation: list[dict[str, Any]], field: str = "kod") -> Any:
    return relation[0][field]


INVOICES, PRODUCTS, CARDS = "faktura-vydana", "cenik", "skladova-karta"
FILTERS: list[tuple[str, str, Callable[[dict[str, Any]], bool]]] = [
    (INVOICES, "sumCelkem >= 20000 and sumCelkem lt 40000", lambda r: 20000 <= r["sumCelkem"] < 40000),
    (
        INVOICES,
        "stavUhrK = 'stavUhr.castUhr' or storno is true",
        lambda r: r["stavUhrK"] == "stavUhr.castUhr" or r["storno"],
    ),
    (INVOICES, "not (zbyvaUhradit = 0) and stavUhrK is null", lambda r: r["zbyvaUhradit"] and r["stavUhrK"] is None),
    (INVOICES, "firma = 'code:FIRMA3' or firma = 105", lambda r: r["firma"] in ("code:FIRMA3", "code:FIRMA5")),
    (INVOICES, "datSplat between '2026-03-01' '2026-03-31'", lambda r: "2026-03-01" <= r["datSplat"] <= "2026-03-31"),
    (INVOICES, "datVyst > now()", lambda r: False),
    (INVOICES, "kod ends '0/2026' and id != 10", lambda r: r["kod"].endswith("0/2026") and r["id"] != 10),
    (PRODUCTS, "typZasobyK = 'typZasoby.material'", lambda r: r["typZasobyK"] == "typZasoby.material"),
    (
        PRODUCTS,
        "skupZboz is null or skupZboz in (code:ZBOZI, 3)",
        lambda r: r["skupZboz"] in ("", "code:ZBOZI", "code:MATERIAL"),
    ),
    (PRODUCTS, "nazev like 'MATERIAL WAREHOUSE' and kod begins 'MAT0001'", lambda r: r["kod"].startswith("MAT0001")),
    (
        CARDS,
        "cenik.kod = 'ZBO00008' and ucetObdobi = code:2026",
        lambda r: code(r["cenik"]) == "ZBO00008" and r["ucetObdobi"] == "code:2026",
    ),
    (
        CARDS,
        "sklad.kod <> 'ZBOZI' and cenik.typZasobyK = 'typZasoby.vyrobek'",
        lambda r: code(r["sklad"]) != "ZBOZI" and code(r["cenik"], "typZasobyK") == "typZasoby.vyrobek",
    ),
]


@pytest.mark.parametrize(("evidence", "where", "kept"), FILTERS, ids=[where for _, where, _ in FILTERS])
def test_a_filter_keeps_exactly_the_rows_it_describes(
    flexi: FlexiServer, evidence: str, where: str, kept: Callable[[dict[str, Any]], bool]
) -> None:
    every = demo_rows(flexi, evidence)
    found = rows(flexi, evidence, where, detail="id")
    assert [row["id"] for row in found] == [row["id"] for row in every if kept(row)]


def test_the_demo_company_has_negative_stock_in_zbozi_and_stock_below_minimum_in_material(flexi: FlexiServer) -> None:
    this_year = "ucetObdobi = 'code:2026'"
    negative = rows(flexi, "skladova-karta", f"{this_year} and sklad = 4 and stavMJ < 0", detail="custom:stavMJ")
    assert len(negative) >= 2
    cards = rows(flexi, "skladova-karta", f"{this_year} and sklad.kod = 'MATERIAL' and minMJ > 0", detail="full")
    assert any(float(card["stavMJ"]) < float(card["minMJ"]) for card in cards)
    last_year = rows(flexi, "skladova-karta", "ucetObdobi = code:2025", detail="custom:stavMJ")
    this_year_stock = rows(flexi, "skladova-karta", this_year, detail="custom:stavMJ")
    assert len(last_year) == len(this_year_stock) == 120
    assert [c["stavMJ"] for c in last_year] != [c["stavMJ"] for c in this_year_stock]


def test_the_demo_company_has_overdue_unpaid_invoices_and_some_not_yet_due(flexi: FlexiServer) -> None:
    overdue = rows(flexi, "faktura-vydana", "datSplat < now() and zbyvaUhradit > 0 and storno = false")
    assert len(overdue) >= 3
    assert rows(flexi, "faktura-vydana", "datSplat >= now() and zbyvaUhradit > 0")


def test_product_cards_carry_the_codes_and_groups_of_the_stock_rows(flexi: FlexiServer) -> None:
    stock = httpx.get(
        flexi.url + "/c/demo/stav-skladu-k-datu.json",
        params={"sklad": "5", "datum": "2026-01-01", "limit": "0"},
        auth=AUTH,
    ).json()["winstrom"]["stav-skladu-k-datu"]
    cards = rows(flexi, "cenik", "kod begins 'MAT'", detail="full")
    assert [(c["kod"], c["skupZboz"]) for c in cards] == [(s["cenik"][5:], s["skupZboz"]) for s in stock]


def test_the_query_endpoint_takes_the_filter_and_paging_from_the_body(flexi: FlexiServer) -> None:
    query = {"filter": "kod = 'FV-0001/2026' or id > 55", "detail": "custom:kod", "limit": 3, "add-row-count": True}
    response = httpx.post(
        flexi.url + "/c/demo/faktura-vydana/query.json", json={"winstrom": {"@version": "1.0", **query}}, auth=AUTH
    )
    body = response.json()["winstrom"]
    assert body["@rowCount"] == "6" and body["faktura-vydana"][0]["kod"] == "FV-0001/2026"
    assert len(body["faktura-vydana"]) == 3  # an encoded '/' inside the value did not split the path either
    assert rows(flexi, "faktura-vydana", "kod = 'FV-0001/2026'")[0]["id"] == "1"


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ("stavMJ < ", "Filter syntax error at position 9"),
        ("nosuch = 1", "Unknown field 'nosuch'"),
        ("cenik.nosuch = 1", "Unknown field 'cenik.nosuch'"),
        ("cenik in subtree 3", "not supported by this server"),
        ("cenik.kod similar 'A'", "not supported by this server"),
        ("stavMJ > maxMJ", "expected a value, found 'maxMJ'"),  # field to field: not in the subset, refused
    ],
)
def test_a_bad_or_unsupported_filter_is_a_400_in_flexis_error_shape(flexi: FlexiServer, where: str, words: str) -> None:
    response = answer(flexi, "skladova-karta", where)
    assert response.status_code == 400
    assert response.json()["winstrom"]["success"] == "false" and words in response.json()["winstrom"]["message"]


def test_unknown_evidences_and_paths_are_404(flexi: FlexiServer) -> None:
    assert httpx.get(flexi.url + "/c/demo/objednavka-vydana.json", auth=AUTH).status_code == 404
    assert httpx.get(flexi.url + "/c/demo/objednavka-vydana/properties.json", auth=AUTH).status_code == 404
    assert httpx.get(flexi.url + "/c/demo/cenik/nonsense.json", auth=AUTH).status_code == 404


def test_a_filtered_read_of_a_large_company_finds_its_rows_once_and_pages_from_them(flexi: FlexiServer) -> None:
    where, started, start, found = "ucetObdobi = code:2026 and stavMJ < 0", time.monotonic(), 0, 0
    while True:
        params = {"start": str(start), "limit": "1000", "add-row-count": "true", "detail": "custom:stavMJ"}
        body = answer(flexi, "skladova-karta", where, company="big", **params).json()["winstrom"]
        found += len(body["skladova-karta"])
        start += 1000
        if start >= int(body["@rowCount"]):
            break
    assert found == int(body["@rowCount"]) == 5000  # 5 % of this year's 100 x 1000 cards
    assert len(flexi.state.matches) == 1  # one scan of the 200,000 cards, whatever the number of pages
    assert time.monotonic() - started < 30  # typically ~1 s; a scan per page would take about a minute
