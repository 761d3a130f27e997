"""A connection's catalog, read from the local Flexi-format server over loopback (or the built-in demo company)."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from compliance_monitor.checks.models import ClassifyBy
from compliance_monitor.erp import catalog, connections
from compliance_monitor.erp.models import Catalog, Connection
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company, Warehouse
from compliance_monitor.jobs import services

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
PASSWORD = "Cat4log-secret-3317"
ODD = (
    Warehouse(9, "X" * 500, "\x00Sklad\nsever\t ", 3),
    Warehouse(11, 12345, None, 3),  # type: ignore[arg-type]  # what an ERP might send: a number, a null
    Warehouse(12, ["list"], {"a": 1}, 3),  # type: ignore[arg-type]
)


@pytest.fixture(autouse=True)
def no_retries(settings: Any) -> None:
    settings.CM_ERP_RETRIES = 0  # a dead server fails at once: no backoff sleeps


@pytest.fixture
def server() -> Iterator[FlexiServer]:
    """Two companies on one server: ``demo`` (warehouses 4, 5, 20) and ``acme`` (61, 62), plus odd and empty."""
    companies = (
        Company(),
        Company.other("acme"),
        Company(code="odd", warehouses=ODD),
        Company(code="empty", warehouses=()),
    )
    flexi = FlexiServer(FlexiState.of(*companies, username="api", password=PASSWORD)).start_in_thread()
    yield flexi
    flexi.shutdown()
    flexi.server_close()


def connection_to(url: str, name: str = "north", company: str = "demo", **fields: object) -> Connection:
    values = {"base_url": url, "company": company, "username": "api", "password": PASSWORD, "timeout_seconds": 2.0}
    return connections.create_connection(now=NOW, name=name, **{**values, "page_size": 2, **fields})


def codes(entries: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(entry["id"], entry["code"]) for entry in entries]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refresh_reads_the_warehouses_and_goods_groups_of_its_own_company(db: None, server: FlexiServer) -> None:
    north, south = connection_to(server.url), connection_to(server.url, "south", "acme")

    read_north, read_south = catalog.refresh(north, now=NOW), catalog.refresh(south, now=NOW)

    # page_size 2: three warehouses and four groups take two pages each, all of them read
    assert codes(read_north.warehouses) == [("4", "ZBOZI"), ("5", "MATERIAL"), ("20", "POLOTOVARY")]
    assert codes(read_south.warehouses) == [("61", "SUROVINY"), ("62", "ZBOZI")]
    assert read_north.warehouses[1] == {"id": "5", "code": "MATERIAL", "name": "Material warehouse"}
    # the local server gives every company the same goods groups (synthetic.GROUPS)
    groups = [("1", "ZBOZI"), ("3", "MATERIAL"), ("7", "POLOTOVAR"), ("8", "VYROBEK")]
    assert codes(read_north.goods_groups) == groups and codes(read_south.goods_groups) == groups
    assert catalog.catalog_of(north) == read_north and catalog.catalog_of(south) == read_south
    assert read_north.refreshed_at == NOW and read_north.error == "" and read_north.error_at is None
    assert catalog.warnings(read_north) == []


def test_product_types_are_flexis_typzasobyk_values_with_english_names(db: None, server: FlexiServer) -> None:
    read = catalog.refresh(connection_to(server.url), now=NOW)

    types = {entry["code"]: entry["name"] for entry in read.product_types}
    assert types["typZasoby.material"] == "Material" and types["typZasoby.polotovar"] == "Semi-product"
    assert set(types) >= {"typZasoby.zbozi", "typZasoby.vyrobek", "typZasoby.sluzba", "typZasoby.nedvyroba"}
    assert {entry["id"] for entry in read.product_types} == {""}


def test_the_demo_connection_reads_its_catalog_from_the_built_in_company_without_network(db: None) -> None:
    demo = Connection.objects.get(name="demo")

    read = catalog.refresh(demo, now=NOW)

    assert codes(read.warehouses) == [("4", "ZBOZI"), ("5", "MATERIAL"), ("20", "POLOTOVARY"), ("30", "EXPEDICE")]
    assert codes(read.goods_groups) == [("1", "ZBOZI"), ("3", "MATERIAL"), ("7", "POLOTOVAR"), ("8", "VYROBEK")]
    assert len(read.product_types) == 8 and read.refreshed_at == NOW and catalog.has_catalog(demo)


def test_a_second_refresh_replaces_the_lists_and_clears_the_last_error(db: None, server: FlexiServer) -> None:
    north = connection_to(server.url)
    catalog.refresh(north, now=NOW)
    server.set_faults(status=401)
    with pytest.raises(catalog.CatalogRefreshError):
        catalog.refresh(north, now=NOW)
    server.set_faults()
    connections.update_connection(north, now=NOW, company="acme")

    read = catalog.refresh(north, now=LATER)

    assert codes(read.warehouses) == [("61", "SUROVINY"), ("62", "ZBOZI")]
    assert read.refreshed_at == LATER and read.error == "" and read.error_at is None
    assert Catalog.objects.filter(connection=north).count() == 1


def break_by_stopping(server: FlexiServer, connection: Connection) -> None:
    connections.update_connection(connection, now=NOW, base_url=f"http://127.0.0.1:{free_port()}")


def break_by_password(server: FlexiServer, connection: Connection) -> None:
    connections.update_connection(connection, now=NOW, password="not-the-password")


def break_by_login_page(server: FlexiServer, connection: Connection) -> None:
    server.set_faults(html=True)


def break_by_company(server: FlexiServer, connection: Connection) -> None:
    connections.update_connection(connection, now=NOW, company="nope")


@pytest.mark.parametrize(
    ("breaks", "words"),
    [
        (break_by_stopping, "ERP unreachable at http://127.0.0.1:"),
        (break_by_password, "ERP rejected the credentials of user 'api' (HTTP 401)"),
        (break_by_login_page, "with an HTML page, not JSON"),
        (break_by_company, "HTTP 404"),
    ],
)
def test_a_failed_refresh_keeps_the_previous_lists_and_records_the_error(
    db: None, server: FlexiServer, breaks: Any, words: str
) -> None:
    north = connection_to(server.url)
    before = catalog.refresh(north, now=NOW)
    breaks(server, north)

    with pytest.raises(catalog.CatalogRefreshError) as failed:
        catalog.refresh(north, now=LATER)

    assert words in failed.value.message and str(failed.value) == failed.value.message
    kept = Catalog.objects.get(connection=north)
    assert kept.warehouses == before.warehouses and kept.goods_groups == before.goods_groups
    assert kept.refreshed_at == NOW and kept.error == failed.value.message and kept.error_at == LATER
    assert catalog.as_json(kept)["error"] == failed.value.message and PASSWORD not in failed.value.message


def test_a_first_refresh_that_fails_leaves_no_catalog_to_judge_by_but_its_error(db: None) -> None:
    north = connection_to(f"http://127.0.0.1:{free_port()}")

    with pytest.raises(catalog.CatalogRefreshError, match="unreachable"):
        catalog.refresh(north, now=NOW)

    stored = catalog.catalog_of(north)
    assert stored is not None and stored.error_at == NOW and stored.refreshed_at is None
    assert not catalog.has_catalog(north) and catalog.warnings(stored) == []
    assert catalog.unknown_codes(north, "NOWHERE", ["99"], ClassifyBy.GOODS_GROUP) == []
    shown = catalog.as_json(stored)
    assert shown["warehouses"] == [] and shown["refreshed_at"] is None and "unreachable" in shown["error"]


def test_an_erp_without_warehouses_is_stored_and_flagged(db: None, server: FlexiServer) -> None:
    empty = connection_to(server.url, company="empty")

    read = catalog.refresh(empty, now=NOW)

    assert read.warehouses == [] and len(read.goods_groups) == 4 and read.error == ""
    assert catalog.warnings(read) == ["the ERP has no warehouses (sklad): there is nothing to check"]
    assert catalog.as_json(read)["warnings"] == catalog.warnings(read) and catalog.has_catalog(empty)


def test_odd_erp_text_is_stored_as_bounded_printable_strings(db: None, server: FlexiServer) -> None:
    read = catalog.refresh(connection_to(server.url, company="odd"), now=NOW)

    assert read.warehouses == [
        {"id": "9", "code": "X" * catalog.MAX_CODE, "name": "Skladsever"},
        {"id": "11", "code": "12345", "name": ""},
        {"id": "12", "code": "", "name": ""},
    ]


@pytest.mark.parametrize(
    ("warehouses", "words"),
    [
        ((Warehouse("W1", "A", "a", 3), Warehouse(2, "B", "b", 3)), "without a numeric id ('W1')"),  # type: ignore[arg-type]
        ((Warehouse(2, "A", "a", 3), Warehouse(2, "B", "b", 3)), "sent record id 2 twice"),
    ],
)
def test_records_without_a_numeric_or_a_distinct_id_fail_the_refresh(
    db: None, server: FlexiServer, warehouses: tuple[Warehouse, ...], words: str
) -> None:
    server.state.companies["odd"] = Company(code="odd", warehouses=warehouses)

    with pytest.raises(catalog.CatalogRefreshError, match=re.escape(words)):
        catalog.refresh(connection_to(server.url, company="odd"), now=NOW)


def test_unknown_codes_names_what_the_catalog_of_the_connection_does_not_know(db: None, server: FlexiServer) -> None:
    north, south = connection_to(server.url), connection_to(server.url, "south", "acme")
    assert catalog.unknown_codes(north, "NOWHERE", ["99"], ClassifyBy.GOODS_GROUP) == []  # no catalog yet
    assert not catalog.has_catalog(north)
    catalog.refresh(north, now=NOW)
    catalog.refresh(south, now=NOW)

    assert catalog.has_catalog(north)
    assert catalog.unknown_codes(north, "MATERIAL", ["3", "MATERIAL", 8], ClassifyBy.GOODS_GROUP) == []
    assert catalog.unknown_codes(north, "SUROVINY", ["3", "99", "NOPE", "99"], "goods_group") == [
        "SUROVINY",
        "99",
        "NOPE",
    ]
    assert catalog.unknown_codes(south, "SUROVINY", ["3"], ClassifyBy.GOODS_GROUP) == []
    assert catalog.unknown_codes(south, "MATERIAL", [], ClassifyBy.GOODS_GROUP) == ["MATERIAL"]
    product_types = ["material", "typZasoby.polotovar", "steel", "typZasoby.steel"]
    assert catalog.unknown_codes(north, "ZBOZI", product_types, ClassifyBy.PRODUCT_TYPE) == ["steel", "typZasoby.steel"]
    assert catalog.unknown_codes(north, "ZBOZI", ["3"], ClassifyBy.PRODUCT_TYPE) == ["3"]  # a group is no type
    assert (catalog.GOODS_GROUP, catalog.PRODUCT_TYPE) == (ClassifyBy.GOODS_GROUP, ClassifyBy.PRODUCT_TYPE)


def test_the_password_never_appears_in_errors_or_logs(
    db: None, server: FlexiServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    north = connection_to(server.url)
    seen = [json.dumps(catalog.as_json(catalog.refresh(north, now=NOW)), default=str)]
    for faults in ({"status": 401}, {"html": True}, {"status": 403}):
        server.set_faults(**faults)
        with pytest.raises(catalog.CatalogRefreshError) as failed:
            catalog.refresh(north, now=NOW)
        seen.append(failed.value.message)

    assert caplog.records and "erp_catalog_refresh_failed" in caplog.text
    assert PASSWORD not in "\n".join([*seen, caplog.text, *(str(record.__dict__) for record in caplog.records)])


def test_a_password_the_erp_repeats_is_masked_in_the_stored_error(db: None, server: FlexiServer) -> None:
    same = connection_to(server.url, password="api")  # as the user name, which the 401 message names

    with pytest.raises(catalog.CatalogRefreshError) as failed:
        catalog.refresh(same, now=NOW)

    assert "user '***'" in failed.value.message and Catalog.objects.get(connection=same).error == failed.value.message


def run(*args: str) -> str:
    out = StringIO()
    call_command("connections", *args, stdout=out)
    return out.getvalue()


def test_the_cli_shows_the_catalog_refreshes_it_and_says_when_it_was_not_read(db: None, server: FlexiServer) -> None:
    connection_to(server.url)
    assert "not read yet" in run("catalog", "north")

    shown = run("catalog", "north", "--refresh")

    rows = [line.split() for line in shown.splitlines()]
    assert "catalog of north (company demo), read at " in shown
    assert "warehouses (3)" in shown and "20  POLOTOVARY  Semi-products warehouse" in shown
    assert "goods groups (4)" in shown and "product types (8)" in shown and ["typZasoby.material", "Material"] in rows
    as_json = json.loads(run("catalog", "north", "--json"))
    assert [entry["code"] for entry in as_json["warehouses"]] == ["ZBOZI", "MATERIAL", "POLOTOVARY"]
    assert as_json["refreshed_at"] is not None and as_json["error"] == ""


def test_the_cli_turns_a_failed_refresh_into_a_clear_error_and_shows_it_afterwards(
    db: None, server: FlexiServer
) -> None:
    connection_to(server.url)
    run("catalog", "north", "--refresh")
    server.set_faults(status=401)

    with pytest.raises(CommandError, match="cannot read the catalog of 'north': ERP rejected the credentials"):
        run("catalog", "north", "--refresh")

    shown = run("catalog", "north")
    assert "the latest refresh failed at " in shown and "warehouses (3)" in shown


def test_the_cli_flags_an_erp_without_warehouses(db: None, server: FlexiServer) -> None:
    connection_to(server.url, company="empty")

    shown = run("catalog", "north", "--refresh")

    assert "warning: the ERP has no warehouses" in shown and "warehouses (0)" in shown


def test_the_cli_names_an_unknown_connection(db: None) -> None:
    for args in (("catalog", "nope"), ("remove", "nope")):
        with pytest.raises(CommandError, match=r"no connection named 'nope' \(see `connections list`\)"):
            run(*args)


def test_the_cli_does_not_remove_a_connection_jobs_use_and_names_them(db: None, server: FlexiServer) -> None:
    north = connection_to(server.url)
    for name in ("nightly", "hourly"):
        services.create_job(
            now=timezone.now(), name=name, cron="0 * * * *", checks=["warehouse.product_types"], connection=north
        )

    with pytest.raises(CommandError, match=r"'north' is used by job\(s\) hourly, nightly: move or delete them first"):
        run("remove", "north")
    assert Connection.objects.filter(name="north").exists()
