from __future__ import annotations

from datetime import date

import pytest

from compliance_monitor.erp.client import ErpConfig, FlexiClient
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.erp.synthetic import Company
from compliance_monitor.erp.tests.conftest import PASSWORD

DAY = date(2026, 1, 15)


def test_it_reads_every_row_across_page_boundaries(client: FlexiClient, flexi: FlexiServer) -> None:
    rows = list(client.stock("MATERIAL", DAY))

    assert len(rows) == 40 and len({r.product_code for r in rows}) == 40
    assert flexi.state.requests == 6  # pages of 7: 7+7+7+7+7+5


@pytest.mark.parametrize(("products", "requests"), [(14, 2), (13, 2), (1, 1), (0, 1)])
def test_it_stops_at_the_row_count_without_an_extra_request(flexi: FlexiServer, products: int, requests: int) -> None:
    flexi.state.company = Company(products_per_warehouse=products)
    with FlexiClient(ErpConfig(flexi.url, "demo", "api", PASSWORD, page_size=7)) as client:
        assert len(list(client.stock("ZBOZI", DAY))) == products
    assert flexi.state.requests == requests


def test_string_typed_and_native_json_values_read_the_same(client: FlexiClient, flexi: FlexiServer) -> None:
    flexi.state.typing = "string"
    as_strings = list(client.stock("MATERIAL", DAY))
    flexi.state.typing = "native"
    assert list(client.stock("5", DAY)) == as_strings  # by id this time


def test_rows_carry_product_group_quantity_and_unit(client: FlexiClient) -> None:
    row = next(iter(client.stock("MATERIAL", DAY)))
    assert (row.product_code, row.group_id, row.group_code, row.unit) == ("MAT00000", "3", "MATERIAL", "ks")
    assert row.product_type == "typZasoby.material" and row.quantity > 0


def test_pages_are_streamed_so_memory_does_not_hold_the_warehouse(client: FlexiClient, flexi: FlexiServer) -> None:
    rows = client.stock("MATERIAL", DAY)
    next(rows)
    # The page being read, one handed over ahead and one fetched waiting to be (erp/read_ahead.py, depth 1) —
    # then nothing more until rows are taken: 3 of the warehouse's 6 pages.
    assert flexi.state.wait_until(lambda state: state.requests == 3 and state.in_flight == 0)
    assert not flexi.state.wait_until(lambda state: state.requests > 3, timeout=0.3)
    rows.close()
