"""The local Flexi-format server's bookings, change log and hooks (issue 13, item 7), read by the real client."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from compliance_monitor.erp import change_log
from compliance_monitor.erp.client import FlexiClient
from compliance_monitor.erp.flexi import ErpResponseError
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.erp.tests.conftest import PASSWORD


def book(flexi: FlexiServer, warehouse: str, *lines: tuple[str, float]) -> httpx.Response:
    document = {"sklad": f"code:{warehouse}", "polozkyDokladu": [{"cenik": f"code:{c}", "mnozMj": q} for c, q in lines]}
    return httpx.put(
        f"{flexi.url}/c/demo/skladovy-pohyb.json",
        json={"winstrom": {"skladovy-pohyb": [document]}},
        auth=("api", PASSWORD),
    )


def stock_codes(client: FlexiClient, warehouse: str) -> dict[str, float]:
    rows = client.stock(warehouse, date(2026, 3, 2))
    return {row.product_code: row.quantity for row in rows}


def test_a_booking_numbers_its_document_and_lines_in_the_change_log_with_gaps(flexi: FlexiServer, client) -> None:
    assert book(flexi, "ZBOZI", ("MAT00001", 5), ("MAT00002", 2)).status_code == 200

    page = change_log.read_changes(client, 0)

    assert [(c.evidence, c.operation) for c in page.changes] == [
        ("skladovy-pohyb", "create"),
        ("skladovy-pohyb-polozka", "create"),
        ("skladovy-pohyb-polozka", "create"),
    ]
    versions = [c.version for c in page.changes]
    assert versions == sorted(versions) and all(b - a > 1 for a, b in itertools.pairwise(versions))
    assert page.global_version == versions[-1] and page.next_start is None


def test_the_change_log_pages_from_an_inclusive_start(flexi: FlexiServer, client) -> None:
    for n in range(5):
        book(flexi, "ZBOZI", (f"MAT{n:05d}", 1))
    every = change_log.read_changes(client, 0).changes
    first = change_log.read_changes(client, every[3].version, limit=2)

    assert [c.version for c in first.changes] == [every[3].version, every[4].version]
    assert first.next_start == every[4].version + 1


def test_a_booked_product_new_to_a_warehouse_is_a_stock_row_there_and_one_it_holds_gets_more(flexi, client) -> None:
    before = stock_codes(client, "ZBOZI")
    book(flexi, "ZBOZI", ("MAT00001", 5), ("ZBO00003", 2))

    after = stock_codes(client, "ZBOZI")

    assert after["MAT00001"] == 5 and "MAT00001" not in before
    assert after["ZBO00003"] == before["ZBO00003"] + 2
    assert len(after) == len(before) + 1


def test_a_changed_line_is_read_back_with_its_warehouse_product_and_document(flexi: FlexiServer, client) -> None:
    book(flexi, "ZBOZI", ("MAT00001", 5))
    line = change_log.read_changes(client, 0).changes[1]

    found = change_log.record(client, line.evidence, line.record, "id,sklad,cenik,mnozMj,doklSklad")

    assert found is not None
    assert (found["sklad"]["kod"], found["cenik"]["kod"], found["mnozMj"]) == ("ZBOZI", "MAT00001", 5.0)
    assert found["doklSklad"]["kod"].startswith("SP-0001/")
    assert change_log.record(client, line.evidence, "999999", "id") is None  # gone: None, never an error


@pytest.mark.parametrize(
    ("warehouse", "lines", "field"),
    [
        ("NOWHERE", [("MAT00001", 1)], "sklad"),
        ("ZBOZI", [("NOSUCH1", 1)], "cenik"),
        ("ZBOZI", [("MAT00001", 0)], "mnozMj"),
    ],
)
def test_a_booking_the_erp_would_refuse_is_a_400_naming_the_field(flexi, warehouse, lines, field) -> None:
    answer = book(flexi, warehouse, *lines)

    assert answer.status_code == 400
    assert answer.json()["winstrom"]["message"].startswith(f"{field}:")


def test_the_changes_api_switched_off_says_so_in_its_status_and_refuses_to_be_read(flexi: FlexiServer, client) -> None:
    assert change_log.is_enabled(client)
    flexi.state.log(flexi.state.company).enabled = False

    assert not change_log.is_enabled(client)
    with pytest.raises(ErpResponseError, match="Changes API"):
        change_log.read_changes(client, 0)


class Receiver(BaseHTTPRequestHandler):
    bodies: list[Any] = []
    arrived = threading.Event()

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Receiver.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        Receiver.arrived.set()

    def log_message(self, *args: object) -> None:
        pass


def test_a_registered_hook_is_posted_the_changes_it_has_not_had_yet(flexi: FlexiServer, client) -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    Receiver.bodies.clear()
    book(flexi, "ZBOZI", ("MAT00001", 1))  # before the hook: not sent
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks/flexi/x/secret"
        change_log.register_hook(client, url, None)
        assert [hook["url"] for hook in change_log.hooks(client)] == [url]
        Receiver.arrived.clear()
        book(flexi, "ZBOZI", ("MAT00002", 1))
        assert Receiver.arrived.wait(5)
    finally:
        receiver.shutdown()
        receiver.server_close()

    sent = change_log.parse_changes(Receiver.bodies[-1]).changes
    assert [c.evidence for c in sent] == ["skladovy-pohyb", "skladovy-pohyb-polozka"]
    hook_id = change_log.hooks(client)[0]["id"]
    change_log.remove_hook(client, hook_id)
    assert change_log.hooks(client) == []


@pytest.mark.parametrize(
    "entry",
    [
        {"@evidence": "cenik", "@in-version": "12a", "id": "1"},
        {"@evidence": "<script>", "@in-version": "12", "id": "1"},
        {"@evidence": "cenik", "@in-version": "12", "id": "1 OR 1"},
        "not an object",
    ],
)
def test_a_change_log_entry_that_is_not_what_flexi_sends_is_left_out_and_counted(entry: Any) -> None:
    good = {"@evidence": "cenik", "@in-version": "14", "id": "2"}

    page = change_log.parse_changes({"winstrom": {"changes": [entry, good]}})

    assert [c.version for c in page.changes] == [14] and page.skipped == 1


@pytest.mark.parametrize("body", [{"winstrom": {"changes": "none"}}, {"no": "envelope"}])
def test_a_change_list_that_is_not_what_flexi_sends_is_refused_as_malformed(body: dict[str, Any]) -> None:
    from compliance_monitor.erp.flexi import ErpMalformedResponseError

    with pytest.raises(ErpMalformedResponseError):
        change_log.parse_changes(body)
