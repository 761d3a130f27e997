"""Issue 10, items 1 and 2: a read passes only when its pages prove it whole and its numbers are numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from compliance_monitor.erp import flexi
from compliance_monitor.erp.client import ErpConfig, FlexiClient
from compliance_monitor.erp.flexi import (
    ErpDataError,
    ErpIncompleteReadError,
    ErpMalformedResponseError,
    ErpRowCountChangedError,
    ErpUnavailableError,
)
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.erp.tests.conftest import PASSWORD

DAY = date(2026, 1, 15)


def read(client: FlexiClient, warehouse: str = "MATERIAL") -> list[flexi.StockRow]:
    return list(client.stock(warehouse, DAY))


def test_item_1_a_total_short_of_the_announced_row_count_is_incomplete(client: FlexiClient, flexi: FlexiServer) -> None:
    flexi.state.data.truncate = {"MATERIAL": 30}  # 40 announced, 30 sent

    with pytest.raises(ErpIncompleteReadError, match="the ERP announced 40 rows and sent 30"):
        read(client)


def test_item_1_a_total_short_at_a_page_boundary_is_incomplete(client: FlexiClient, flexi: FlexiServer) -> None:
    flexi.state.data.truncate = {"MATERIAL": 28}  # pages of 7: the fifth page comes back empty

    with pytest.raises(ErpIncompleteReadError, match="announced 40 rows and sent 28"):
        read(client)


def test_item_1_a_page_with_more_rows_than_its_limit_is_incomplete(client: FlexiClient, flexi: FlexiServer) -> None:
    flexi.state.data.oversize = 2

    with pytest.raises(ErpIncompleteReadError, match=r"sent 9 rows in a page of 7 \(it ignores 'limit'\)"):
        read(client)


def test_item_1_a_server_that_ignores_start_is_caught_by_ids_seen_again(
    client: FlexiClient, flexi: FlexiServer
) -> None:
    flexi.state.data.ignore_start = True  # every page is the first one again: 40 rows "sent", 7 distinct

    with pytest.raises(ErpIncompleteReadError, match="it ignores 'start' or 'order=id'"):
        read(client)


def test_item_1_a_row_count_that_changes_during_the_read_is_its_own_error(
    client: FlexiClient, flexi: FlexiServer
) -> None:
    flexi.state.data.count_offsets = [0, 1]  # someone booked between the first and the second page

    with pytest.raises(ErpRowCountChangedError, match=r"row count changed during the read \(40 → 41\)"):
        read(client)


def test_item_1_an_unannounced_row_count_cannot_prove_a_read_whole(client: FlexiClient, flexi: FlexiServer) -> None:
    flexi.state.data.no_row_count = True

    with pytest.raises(ErpIncompleteReadError, match=r"did not announce its row count \(@rowCount\)"):
        read(client)


def test_item_1_rows_per_scope_are_capped_with_a_clear_error(flexi: FlexiServer) -> None:
    config = ErpConfig(flexi.url, "demo", "api", PASSWORD, page_size=7, max_rows_per_scope=20)
    with FlexiClient(config) as client, pytest.raises(ErpIncompleteReadError, match="more than 20 rows"):
        read(client)


def test_item_1_a_response_body_over_the_byte_cap_is_refused_while_streaming(flexi: FlexiServer) -> None:
    config = ErpConfig(flexi.url, "demo", "api", PASSWORD, page_size=40, max_response_bytes=4096)
    with FlexiClient(config) as client, pytest.raises(ErpIncompleteReadError, match="larger than 4,096 bytes"):
        read(client)


def test_item_1_a_whole_read_still_passes_every_proof(client: FlexiClient, flexi: FlexiServer) -> None:
    assert len(read(client)) == 40 and flexi.state.requests == 6


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "abc", "1e999", [1]])
@pytest.mark.parametrize("typing", ["string", "native"])
def test_item_2_a_non_finite_or_unparsable_quantity_is_a_data_error_naming_product_and_field(
    client: FlexiClient, flexi: FlexiServer, bad: object, typing: str
) -> None:
    flexi.state.typing = typing  # type: ignore[assignment]
    flexi.state.data.values = {("MATERIAL", 9): {"stavMJ": bad}}

    with pytest.raises(ErpDataError, match=r"product MAT00009: field stavMJ is .* not a finite number"):
        read(client)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_item_2_a_bare_nan_or_infinity_token_is_malformed_json_not_a_number(
    client: FlexiClient, flexi: FlexiServer, bad: float
) -> None:
    flexi.state.typing = "native"
    flexi.state.data.values = {("MATERIAL", 9): {"stavMJ": bad}}  # the server writes NaN / Infinity: not JSON

    with pytest.raises(ErpMalformedResponseError, match="malformed JSON"):
        read(client)


@pytest.mark.parametrize(("raw", "number"), [("5.0", 5.0), (3, 3.0), ("", 0.0), (None, 0.0), ("-2", -2.0)])
def test_item_2_finite_numbers_read_as_before(raw: object, number: float) -> None:
    assert flexi.to_float(raw) == number


def test_item_1_a_body_without_a_declared_length_is_cut_off_at_the_byte_cap_while_streaming() -> None:
    sent: list[int] = []

    def endless_chunks() -> Iterator[bytes]:
        for _ in range(1000):  # 1 MB if read whole; a byte cap stops it after about 4 kB
            sent.append(1)
            yield b" " * 1024

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=endless_chunks()))
    config = ErpConfig("http://erp.invalid", "demo", "api", PASSWORD, max_response_bytes=4096)
    with (
        FlexiClient(config, transport=transport) as client,
        pytest.raises(ErpIncompleteReadError, match="larger than 4,096 bytes"),
    ):
        read(client)
    assert len(sent) <= 5


def test_item_1_a_row_without_a_numeric_id_cannot_prove_the_pages_distinct(
    client: FlexiClient, flexi: FlexiServer
) -> None:
    flexi.state.data.values = {("MATERIAL", 3): {"id": None}}

    with pytest.raises(ErpIncompleteReadError, match="a row without a numeric id"):
        read(client)


def test_item_1_an_undecodable_answer_is_an_erp_error_not_a_crash_of_the_run() -> None:
    def garbled_gzip(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip at all")

    config = ErpConfig("http://erp.invalid", "demo", "api", PASSWORD, retries=0)
    with (
        FlexiClient(config, transport=httpx.MockTransport(garbled_gzip)) as client,
        pytest.raises(ErpUnavailableError, match=r"unusable answer \(DecodingError\)"),
    ):
        read(client)
