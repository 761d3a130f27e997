"""A local HTTP server speaking the subset of the ABRA Flexi REST API that compliance-monitor uses.

Implements Basic auth, the ``winstrom`` envelope, paging (``limit``/``start``/``add-row-count``),
``detail``/``includes`` (expanded or ``code:`` relations), ``/c.json``, ``stav-skladu-k-datu`` (GET, and POST
``…/query.json``), and for user-defined checks ``sklad``, ``skupina-zbozi``, ``ucetni-obdobi``,
``skladova-karta``, ``cenik`` and ``faktura-vydana`` — listed (``<ev>.json``), filtered (``<ev>/(<filter>).json``
or POST ``<ev>/query.json`` with ``filter`` in the body; the subset in :mod:`.filters`) and described
(``<ev>/properties.json``, see :mod:`.flexi_properties`) — with the documented error shapes, over one or
several synthetic companies, each under its own code, relative to ``FlexiState.today``.

Faults can be switched on to test the connector: an HTTP status (401, 403, 500…), slow answers, malformed JSON,
an HTML page (a login form or a proxy's), dropped connections, for every request or for the next N;
``latency_seconds`` delays every answer. It counts the requests it is answering at once (``in_flight``, its peak
``max_in_flight``), for tests of a client's concurrency; ``cache_answers`` renders each distinct request once, so
a benchmark measures the client rather than this server.

Run it alone (benchmarks, a demo of the real connector)::

    python -m compliance_monitor.erp.server --port 5434 --warehouses 100 --products 10000
    python -m compliance_monitor.erp.server --warehouses 100 --products 2500 --latency 0.15 --cache-answers
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from compliance_monitor.erp import bookings, filters, flexi_properties, server_changes, synthetic
from compliance_monitor.erp.flexi import EVIDENCE_STOCK
from compliance_monitor.erp.synthetic import Company, Typing

DEFAULT_LIMIT = 20
LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form method=post>...</form></body></html>"


@dataclass
class Faults:
    """What goes wrong, for how many more requests (``remaining=None``: every request)."""

    status: int | None = None
    delay_seconds: float = 0.0
    malformed: bool = False
    html: bool = False
    drop: bool = False
    remaining: int | None = None
    every: int = 1  # the fault hits every Nth request only (2: every other one)
    seen: int = 0

    def take(self) -> Faults | None:
        if not (self.status or self.delay_seconds or self.malformed or self.html or self.drop):
            return None
        self.seen += 1
        if self.seen % max(1, self.every):
            return None
        if self.remaining is not None:
            if self.remaining <= 0:
                return None
            self.remaining -= 1
        return self


@dataclass
class DataFaults:
    """Wrong data for the connector's completeness proofs (stock rows only), set per test.

    * ``truncate`` — warehouse code → rows really sent; ``@rowCount`` still announces them all;
    * ``ignore_start`` — every page starts at the first row again;
    * ``oversize`` — this many rows more than ``limit`` in every page;
    * ``count_offsets`` — added to ``@rowCount``, one per stock request (then 0): bookings during a read;
    * ``values`` — (warehouse code, row index) → fields replaced in that row (``{"stavMJ": "NaN"}``);
    * ``no_row_count`` — ``add-row-count`` is ignored (no ``@rowCount`` in the answer).
    """

    truncate: dict[str, int] = field(default_factory=dict)
    ignore_start: bool = False
    oversize: int = 0
    count_offsets: list[int] = field(default_factory=list)
    values: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    no_row_count: bool = False


@dataclass
class FlexiState:
    """``company`` is the first company (tests swap it); ``companies`` more of them, by code."""

    company: Company
    companies: dict[str, Company] = field(default_factory=dict)
    latency_seconds: float = 0.0  # before every answer, switchable at any time
    username: str = "api"
    password: str = "secret"  # noqa: S105 — the fake server's own test credential
    typing: Typing = "string"
    faults: Faults = field(default_factory=Faults)
    data: DataFaults = field(default_factory=DataFaults)
    cache_answers: bool = False  # render each distinct request once (a benchmark's server costs ~no CPU a page)
    answers: dict[tuple[str, bytes | None], bytes] = field(default_factory=dict, repr=False)
    requests: int = 0
    in_flight: int = 0  # requests received and not yet answered (latency included)
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False, repr=False)  # notified when a request arrives or is answered
    today: date | None = None  # the current period and invoice dates; None: date.today() at each request
    stock_slot: int = 0  # added to the stock date's ordinal: the in-process demo's drift (erp/sources.py)
    matches: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)  # filter → matching row indexes
    logs: dict[str, bookings.ChangeLog] = field(default_factory=dict)  # company code → its bookings and change log

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    @classmethod
    def of(cls, *companies: Company, **options: Any) -> FlexiState:
        first, *more = companies
        return cls(first, companies={company.code: company for company in more}, **options)

    def day(self) -> date:
        return self.today or date.today()

    def all_companies(self) -> dict[str, Company]:
        return {self.company.code: self.company, **self.companies}

    def log(self, company: Company) -> bookings.ChangeLog:
        """The company's change log (created on first use; every company's Changes API starts switched on)."""
        with self.lock:
            return self.logs.setdefault(company.code, bookings.ChangeLog())

    def wait_until(self, predicate: Callable[[FlexiState], bool], timeout: float = 10.0) -> bool:
        """Wait (at most ``timeout`` s) until ``predicate(state)`` holds, checked whenever a request comes or goes."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)


class FlexiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FlexiState, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), FlexiHandler)
        self.state = state

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def set_faults(self, **faults: Any) -> None:
        with self.state.lock:
            self.state.faults = Faults(**faults)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up waiting is no error
            super().handle_error(request, client_address)

    def call_hooks(self, path: str) -> None:
        """After a write: the company's registered hooks get its new changes, from a thread of their own."""
        company = self.state.all_companies().get(path.strip("/").split("/")[1])
        if company is not None and self.state.log(company).hooks:
            log = self.state.log(company)
            threading.Thread(target=server_changes.deliver, args=(log, self.state.lock), daemon=True).start()

    def start_in_thread(self) -> FlexiServer:
        threading.Thread(target=self.serve_forever, args=(0.02,), name="flexi-server", daemon=True).start()
        return self


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class FlexiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real server
    disable_nagle_algorithm = True  # headers and body go in two writes: Nagle + delayed ACK cost ~40 ms a small page
    server: FlexiServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle(body=None)

    def do_POST(self) -> None:
        self._handle(body=self._body())

    def do_PUT(self) -> None:
        self._handle(body=self._body(), method="PUT")

    def do_DELETE(self) -> None:
        self._handle(body=None, method="DELETE")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self, body: bytes | None, method: str = "") -> None:
        state = self.server.state
        with state.changed:
            state.requests += 1
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
            state.changed.notify_all()
            fault = state.faults.take()
            latency = state.latency_seconds
        try:
            self._answer(state, fault, latency, body, method or self.command)
        finally:
            with state.changed:
                state.in_flight -= 1
                state.changed.notify_all()

    def _answer(self, state: FlexiState, fault: Faults | None, latency: float, body: bytes | None, method: str) -> None:
        if latency:
            time.sleep(latency)
        if fault and self._apply(fault):
            return
        try:
            self._authenticate()
            url = urlsplit(self.path)
            params = {key: values[-1] for key, values in parse_qs(url.query).items()}
            written = changelog_route(state, url.path, params, method, body)
            if written is not None:
                self._send(200, written)
                self.server.call_hooks(url.path)
                return
            if body:
                params.update(_query_body(body))
            self._send_raw(200, _answer_of(state, (self.path, body), url.path, params), "application/json")
        except ApiError as error:
            self._send(error.status, {"winstrom": {"@version": "1.0", "success": "false", "message": error.message}})

    def _apply(self, fault: Faults) -> bool:
        """Returns True when the fault answered (or refused to answer) the request itself."""
        if fault.delay_seconds:
            time.sleep(fault.delay_seconds)
        if fault.drop:
            self.close_connection = True
            self.connection.shutdown(2)  # RST-like: the client sees the connection die mid-request
            return True
        if fault.html:
            self._send_raw(200, LOGIN_PAGE, "text/html")
            return True
        if fault.malformed:
            self._send_raw(200, b'{"winstrom": {"stav-skladu-k-datu": [ {"id": "1", ', "application/json")
            return True
        if fault.status:
            if fault.status >= 500:
                self._send_raw(fault.status, b"<html><body>Internal Server Error</body></html>", "text/html")
            else:
                message = {401: "Neplatné přihlášení", 402: "Chybí licence", 403: "Nedostatečná práva"}
                error = {"@version": "1.0", "success": "false", "message": message.get(fault.status, "Chyba")}
                self._send(fault.status, {"winstrom": error})
            return True
        return False

    def _authenticate(self) -> None:
        state = self.server.state
        expected = base64.b64encode(f"{state.username}:{state.password}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            raise ApiError(401, "Neplatné přihlášení")

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        self._send_raw(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def _send_raw(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _answer_of(state: FlexiState, request: tuple[str, bytes | None], path: str, params: dict[str, str]) -> bytes:
    """The encoded answer; with ``cache_answers`` (benchmarks) each distinct request is rendered once — unless
    data faults are set, which change answers from one request to the next."""
    cacheable = state.cache_answers and state.data == DataFaults()
    if cacheable and request in state.answers:
        return state.answers[request]
    answer = json.dumps(route(state, path, params), ensure_ascii=False).encode()
    if cacheable:
        state.answers[request] = answer
    return answer


def _query_body(body: bytes) -> dict[str, str]:
    """``POST …/query.json`` carries paging and detail in the envelope instead of the query string."""
    try:
        winstrom = json.loads(body).get("winstrom", {})
    except (ValueError, AttributeError):
        raise ApiError(400, "Chybný formát dotazu") from None
    return {key: _param(value) for key, value in winstrom.items() if not key.startswith("@")}


def _param(value: Any) -> str:
    """A body value as the query string would carry it (JSON ``true`` → ``"true"``)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def changelog_route(
    state: FlexiState, path: str, params: dict[str, str], method: str = "GET", body: bytes | None = None
) -> dict[str, Any] | None:
    """Bookings, the change log and hooks (:mod:`.server_changes`); None for the read-only evidences."""
    parts = path.strip("/").split("/")
    company = state.all_companies().get(parts[1]) if len(parts) >= 3 and parts[0] == "c" else None
    if company is None:
        return None
    answer = server_changes.route(state, company, "/".join(parts[2:]), params, method, body)
    if answer is None:
        return None
    status, payload = answer
    if status != 200:
        raise ApiError(status, payload["winstrom"]["message"])
    return payload


def route(state: FlexiState, path: str, params: dict[str, str]) -> dict[str, Any]:
    companies = state.all_companies()
    if path == "/c.json":
        listed = [{"dbNazev": code, "nazev": f"Synthetic company {code}"} for code in companies]
        return _envelope("companies", listed, None)
    parts = path.strip("/").split("/")
    company = companies.get(parts[1]) if len(parts) >= 3 and parts[0] == "c" else None
    if company is None:
        raise ApiError(404, f"Firma {parts[1] if len(parts) > 1 else ''!r} neexistuje")
    evidence = parts[2].removesuffix(".json")
    if evidence == EVIDENCE_STOCK and (len(parts) == 3 or parts[3] == "query.json"):
        return _stock(state, company, params)
    return _evidence(state, company, evidence, "/".join(parts[3:]), params)


def _evidence(state: FlexiState, company: Company, evidence: str, rest: str, params: dict[str, str]) -> dict[str, Any]:
    """``<ev>.json``, ``<ev>/(<filter>).json``, ``<ev>/query.json`` or ``<ev>/properties.json``; ``rest`` is the
    path after the evidence, still URL-encoded (so a ``/`` inside a quoted filter value cannot split it)."""
    if rest == "properties.json" and flexi_properties.properties(evidence):
        return flexi_properties.answer(evidence)
    table = synthetic.table(company, evidence, state.day())
    inner = rest.removesuffix(".json")
    if table is None or not (rest in ("", "query.json") or (inner.startswith("(") and inner.endswith(")"))):
        raise ApiError(404, f"Evidence {evidence!r} neexistuje")
    text = unquote(inner[1:-1]) if inner.startswith("(") else params.get("filter", "")
    indexes = _matching(state, company, evidence, table, text)
    start, limit = _paging(params, len(indexes))
    chosen = flexi_properties.selection(evidence, params.get("detail", "summary"))
    expanded = flexi_properties.includes(params.get("includes"))
    rows = [
        flexi_properties.shape(table.full(index), chosen, expanded, state.typing)
        for index in indexes[start : start + limit]
    ]
    return _envelope(evidence, rows, len(indexes) if params.get("add-row-count") == "true" else None)


def _matching(state: FlexiState, company: Company, evidence: str, table: synthetic.Table, text: str) -> Any:
    """The indexes of the rows a filter keeps, found once per (company, evidence, filter, today) and kept, so
    paging through a million filtered rows costs each page only its own rows; fields a row can give from its
    index alone (period, warehouse) are checked without building the row."""
    if not text.strip():
        return range(table.count)
    key = (company, evidence, text, state.day())
    with state.lock:
        found = state.matches.get(key)
    if found is None:
        try:
            known = lambda path: flexi_properties.known_path(evidence, path)  # noqa: E731
            flt = filters.parse(text, known, state.day())
        except filters.FilterError as error:
            raise ApiError(400, str(error)) from None
        row_at = lambda index: synthetic.LazyRow(table, index)  # noqa: E731
        found = filters.matching(table.count, row_at, flt, table.run, table.constant)
        with state.lock:
            while len(state.matches) >= 16:  # a few filters of a few companies; a benchmark's big arrays
                state.matches.pop(next(iter(state.matches)))
            state.matches[key] = found
    return found


def _stock(state: FlexiState, company: Company, params: dict[str, str]) -> dict[str, Any]:
    warehouse = company.warehouse(params.get("sklad", ""))
    if warehouse is None:
        raise ApiError(400, f"Sklad {params.get('sklad')!r} nebyl nalezen")
    try:
        on = date.fromisoformat(params["datum"])
    except (KeyError, ValueError):
        raise ApiError(400, "Parametr 'datum' (YYYY-MM-DD) je povinný") from None
    booked = state.log(company).booked(warehouse.code)
    added, extra = bookings.own_additions(company, warehouse, booked), bookings.extra_rows(company, warehouse, booked)
    own = company.row_count(warehouse)
    total = own + len(extra)
    start, limit = _paging(params, total)
    data = state.data
    with state.lock:
        offset = data.count_offsets.pop(0) if data.count_offsets else 0
    start = 0 if data.ignore_start else start
    sent = min(total, data.truncate.get(warehouse.code, total))
    expanded = "includes" in params and params.get("detail", "summary").startswith("custom:")
    rows = []
    slot = on.toordinal() + state.stock_slot
    for index in range(start, min(sent, start + limit + data.oversize)):
        if index >= own:
            n = index - own
            rows.append(bookings.booked_row(company, warehouse, n, extra[n], slot, expanded, state.typing))
            continue
        facts = company.row(warehouse, index, slot)
        if index in added:
            facts["quantity"] += added[index]
        row = synthetic.render(warehouse, facts, expanded=expanded, typing=state.typing)
        row.update(data.values.get((warehouse.code, index), {}))
        rows.append(row)
    counted = params.get("add-row-count") == "true" and not data.no_row_count
    return _envelope(EVIDENCE_STOCK, rows, total + offset if counted else None)


def _paging(params: dict[str, str], total: int) -> tuple[int, int]:
    try:
        start = int(params.get("start", 0))
        limit = int(params.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise ApiError(400, "Parametry 'start' a 'limit' musí být čísla") from None
    return max(0, start), (total if limit == 0 else max(0, limit))


def _paged(evidence: str, rows: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
    start, limit = _paging(params, len(rows))
    count = len(rows) if params.get("add-row-count") == "true" else None
    return _envelope(evidence, rows[start : start + limit], count)


def _envelope(evidence: str, rows: list[dict[str, Any]], row_count: int | None) -> dict[str, Any]:
    winstrom: dict[str, Any] = {"@version": "1.0"}
    if row_count is not None:
        winstrom["@rowCount"] = str(row_count)
    winstrom[evidence] = rows
    return {"winstrom": winstrom}


def _s(state: FlexiState, value: Any) -> Any:
    return str(value) if state.typing == "string" else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5434)
    parser.add_argument("--warehouses", type=int, default=0, help="a large synthetic company (0 = the demo one)")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--typing", choices=["string", "native"], default="string")
    parser.add_argument("--user", default="api")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--cache-answers", action="store_true", help="render each distinct request only once")
    args = parser.parse_args()
    company = Company.large(args.warehouses, args.products) if args.warehouses else Company()
    state = FlexiState(
        company,
        username=args.user,
        password=args.password,
        typing=args.typing,
        latency_seconds=args.latency,
        cache_answers=args.cache_answers,
    )
    server = FlexiServer(state, args.host, args.port)
    print(f"Flexi-format server on {server.url}/c/{company.code}/ (user {args.user})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
