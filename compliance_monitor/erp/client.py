"""HTTP client for the ABRA Flexi REST API (httpx): bounded pages, retries, errors that say what failed."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import httpx
import orjson
import structlog

from compliance_monitor.erp import flexi
from compliance_monitor.erp.flexi import (
    ErpAuthError,
    ErpIncompleteReadError,
    ErpMalformedResponseError,
    ErpPermissionError,
    ErpResponseError,
    ErpRowCountChangedError,
    ErpUnavailableError,
    StockRow,
)
from compliance_monitor.erp.read_ahead import ReadAhead
from compliance_monitor.erp.reads import RowRequest

log = structlog.get_logger(__name__)
T = TypeVar("T")
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class ErpConfig:
    url: str  # e.g. https://erp.example.com:5434
    company: str
    username: str
    password: str
    verify_tls: bool = True
    timeout_seconds: float = 30.0
    page_size: int = 1000
    retries: int = 3
    backoff_seconds: float = 1.0
    max_rows_per_scope: int = 5_000_000
    max_response_bytes: int = 64 * 1024 * 1024

    def __repr__(self) -> str:  # dataclass repr would print the password
        return f"ErpConfig(url={self.url!r}, company={self.company!r}, username={self.username!r})"


class FlexiClient:
    def __init__(
        self,
        config: ErpConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._ahead: ReadAhead[Any] | None = None  # the read in progress
        self._http = httpx.Client(
            base_url=f"{config.url.rstrip('/')}/c/{config.company}/",
            auth=httpx.BasicAuth(config.username, config.password),
            verify=config.verify_tls,
            timeout=config.timeout_seconds,
            follow_redirects=True,  # code:ABC ids answer with a redirect to the numeric URL
            transport=transport,
        )

    def interrupt(self) -> None:
        """From any thread, at once: the stock read in progress asks for no further page and ends in an error."""
        if self._ahead is not None:
            self._ahead.interrupt()

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.close()  # a read left open: no request of it stays in flight
        self._http.close()

    def __enter__(self) -> FlexiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def stock(self, warehouse: str, on: date) -> Iterator[StockRow]:
        """Every stock row of one warehouse on a date, page by page (memory stays flat)."""
        params = {
            "sklad": warehouse if warehouse.isdigit() else f"code:{warehouse}",
            "datum": on.isoformat(),
            "detail": flexi.STOCK_DETAIL,
            "includes": flexi.STOCK_INCLUDES,
        }
        # The next page is asked for while this one's rows are judged (one request in flight: erp/read_ahead.py).
        ahead = self._ahead = ReadAhead(self.page_lists(flexi.EVIDENCE_STOCK, params))
        try:
            for page in ahead:
                yield from map(flexi.stock_row, page)  # map: no Python frame per row on the hot path
        finally:
            ahead.close()

    def rows(self, request: RowRequest) -> Iterator[dict[str, Any]]:
        """Every row of any evidence a filter selects (see :meth:`row_pages`)."""
        pages = self.row_pages(request)
        try:
            for page in pages:
                yield from page
        finally:
            pages.close()  # at once: its read-ahead ends, however this read ends

    def row_pages(self, request: RowRequest) -> Generator[list[dict[str, Any]]]:
        """The pages of any evidence a filter selects, proven whole like a stock read (and read ahead the same
        way): a check definition's read (``erp/reads.py``), judged a page at a time."""
        ahead = self._ahead = ReadAhead(self.page_lists(request.evidence, request.params(), path=request.path()))
        try:
            yield from ahead
        finally:
            ahead.close()

    def properties(self, evidence: str) -> Any:
        """The evidence's field metadata (``/properties.json``), as the ERP sends it."""
        return self.get_json(f"{evidence}/properties.json", {})

    def pages(self, evidence: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Every row of a read, page by page; raises unless the pages prove the read whole (see :class:`Pager`)."""
        for page in self.page_lists(evidence, params):
            yield from page

    def page_lists(
        self, evidence: str, params: dict[str, str], *, path: str | None = None
    ) -> Generator[list[dict[str, Any]]]:
        """The pages of a read, each proven by the :class:`Pager` before it is handed on."""
        pager = Pager(self.config.page_size, self.config.max_rows_per_scope)
        while True:
            page_params = {
                **params,
                "limit": str(pager.limit),
                "start": str(pager.start),
                "order": "id",
                "add-row-count": "true",
            }
            rows, total = flexi.envelope(self.get_json(path or f"{evidence}.json", page_params), evidence)
            yield pager.accept(rows, total)
            if pager.done:
                return

    def get_json(self, path: str, params: dict[str, str]) -> Any:
        body = self._request(path, params)
        try:
            return orjson.loads(body)  # ~2x the standard library's speed: a page's parse holds the GIL
        except orjson.JSONDecodeError:  # also absurdly nested JSON, NaN, and integers over 64 bits
            raise ErpMalformedResponseError(f"ERP answered {path} with malformed JSON") from None

    def send(self, method: str, path: str, params: dict[str, str]) -> Any:
        """A write (``PUT``/``POST``/``DELETE``, e.g. registering a web hook) and its parsed answer."""
        body = self._request(path, params, method)
        try:
            return orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError:
            raise ErpMalformedResponseError(f"ERP answered {method} {path} with malformed JSON") from None

    def _request(self, path: str, params: dict[str, str], method: str = "GET") -> bytes:
        where = f"{self._http.base_url}{path}"  # no credentials: they travel in the Authorization header
        attempts = self.config.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                status, body = self._fetch(path, {**params, "auth": "http"}, where, method)
            except httpx.TimeoutException:
                problem = f"timed out after {self.config.timeout_seconds:g} s"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            except httpx.RequestError as exc:  # undecodable body (a proxy's bad gzip), endless redirects
                problem = f"unusable answer ({type(exc).__name__})"
            else:
                if status not in RETRYABLE_STATUS:
                    return self._checked(status, body, where)
                problem = f"HTTP {status}"
            log.warning("erp_request_retry", url=where, attempt=attempt, problem=problem)
            if attempt < attempts:
                self._sleep(self.config.backoff_seconds * 2 ** (attempt - 1))
        raise ErpUnavailableError(f"ERP unreachable at {where}: {problem} (tried {attempts} times)")

    def _fetch(self, path: str, params: dict[str, str], where: str, method: str = "GET") -> tuple[int, bytes]:
        """The status and body, streamed with a byte cap: a runaway answer is an error, not a memory blow-up."""
        cap = self.config.max_response_bytes
        with self._http.stream(method, path, params=params) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                raise _too_big(where, cap)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > cap:
                    raise _too_big(where, cap)
            return response.status_code, bytes(body)

    def _checked(self, status: int, body: bytes, where: str) -> bytes:
        if status == 401:
            raise ErpAuthError(f"ERP rejected the credentials of user {self.config.username!r} (HTTP 401) at {where}")
        if status in (402, 403):
            raise ErpPermissionError(
                f"ERP user {self.config.username!r} may not read {where} (HTTP {status}: licence or access rights)"
            )
        if status >= 400:
            raise ErpResponseError(f"ERP answered HTTP {status} at {where}: {_server_message(body)}")
        return body


def _too_big(where: str, cap: int) -> ErpIncompleteReadError:
    return ErpIncompleteReadError(
        f"the ERP's answer at {where} is larger than {cap:,} bytes (CM_ERP_MAX_RESPONSE_BYTES); "
        "use a smaller page size (CM_ERP_PAGE_SIZE)"
    )


class Pager:
    """Proves a paged read whole, or says what was wrong.

    Rows are asked for ``order=id`` with ``add-row-count``: every page must fit its ``limit``, every row
    must carry a numeric id and ids must rise (a server ignoring ``start`` sends the first rows again),
    ``@rowCount`` must stay the same through the read, and the rows sent must add up to it. Memory stays
    flat: only the last id is kept.
    """

    def __init__(self, limit: int, max_rows: int) -> None:
        self.limit, self.max_rows = max(1, limit), max_rows
        self.start, self.done = 0, False
        self.announced: int | None = None
        self.last_id = -1

    def accept(self, rows: list[dict[str, Any]], total: int | None) -> list[dict[str, Any]]:
        self._check_count(len(rows), total)
        self._check_ids(rows)
        self.start += len(rows)
        if self.start > self.max_rows:
            raise ErpIncompleteReadError(
                f"more than {self.max_rows:,} rows (CM_ERP_MAX_ROWS_PER_SCOPE): not read whole"
            )
        announced = self.announced or 0
        if self.start >= announced or len(rows) < self.limit:
            if self.start != announced:
                raise ErpIncompleteReadError(f"the ERP announced {announced} rows and sent {self.start}")
            self.done = True
        return rows

    def _check_count(self, sent: int, total: int | None) -> None:
        if total is None:
            raise ErpIncompleteReadError(
                "the ERP did not announce its row count (@rowCount): cannot prove the read whole"
            )
        if self.announced is not None and total != self.announced:
            raise ErpRowCountChangedError(f"the ERP's row count changed during the read ({self.announced} → {total})")
        self.announced = total
        if sent > self.limit:
            raise ErpIncompleteReadError(f"the ERP sent {sent} rows in a page of {self.limit} (it ignores 'limit')")
        if self.start + sent > total:
            raise ErpIncompleteReadError(f"the ERP announced {total} rows and sent more ({self.start + sent})")

    def _check_ids(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            raw = row.get("id")
            text = str(raw) if raw is not None else ""
            if not text.isdigit():
                raise ErpIncompleteReadError(
                    f"the ERP sent a row without a numeric id ({text[:20]!r}): cannot prove its pages distinct"
                )
            current = int(text)
            if current <= self.last_id:
                raise ErpIncompleteReadError(
                    f"the ERP sent row id {current} after id {self.last_id}: it ignores 'start' or 'order=id'"
                )
            self.last_id = current


def _server_message(body: bytes) -> str:
    try:
        winstrom = orjson.loads(body).get("winstrom", {})
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace") or "no message"
    return flexi.error_message(winstrom) if isinstance(winstrom, dict) else "no message"
