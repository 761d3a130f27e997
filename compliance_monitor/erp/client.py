"""HTTP client for the ABRA Flexi REST API (httpx): bounded pages, retries, errors that say what failed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import structlog

from compliance_monitor.erp import flexi
from compliance_monitor.erp.flexi import (
    ErpAuthError,
    ErpMalformedResponseError,
    ErpPermissionError,
    ErpResponseError,
    ErpUnavailableError,
    StockRow,
)

log = structlog.get_logger(__name__)
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
        self._http = httpx.Client(
            base_url=f"{config.url.rstrip('/')}/c/{config.company}/",
            auth=httpx.BasicAuth(config.username, config.password),
            verify=config.verify_tls,
            timeout=config.timeout_seconds,
            follow_redirects=True,  # code:ABC ids answer with a redirect to the numeric URL
            transport=transport,
        )

    def close(self) -> None:
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
        for raw in self.pages(flexi.EVIDENCE_STOCK, params):
            yield flexi.stock_row(raw)

    def pages(self, evidence: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        start, limit = 0, self.config.page_size
        while True:
            page_params = {**params, "limit": str(limit), "start": str(start), "order": "id", "add-row-count": "true"}
            rows, total = flexi.envelope(self.get_json(f"{evidence}.json", page_params), evidence)
            yield from rows
            start += len(rows)
            if len(rows) < limit or (total is not None and start >= total):
                return

    def get_json(self, path: str, params: dict[str, str]) -> Any:
        response = self._request(path, params)
        try:
            return response.json()
        except ValueError:
            raise ErpMalformedResponseError(f"ERP answered {path} with malformed JSON") from None

    def _request(self, path: str, params: dict[str, str]) -> httpx.Response:
        where = f"{self._http.base_url}{path}"  # no credentials: they travel in the Authorization header
        attempts = self.config.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._http.get(path, params={**params, "auth": "http"})
            except httpx.TimeoutException:
                problem = f"timed out after {self.config.timeout_seconds:g} s"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    return self._checked(response, where)
                problem = f"HTTP {response.status_code}"
            log.warning("erp_request_retry", url=where, attempt=attempt, problem=problem)
            if attempt < attempts:
                self._sleep(self.config.backoff_seconds * 2 ** (attempt - 1))
        raise ErpUnavailableError(f"ERP unreachable at {where}: {problem} (tried {attempts} times)")

    def _checked(self, response: httpx.Response, where: str) -> httpx.Response:
        status = response.status_code
        if status == 401:
            raise ErpAuthError(f"ERP rejected the credentials of user {self.config.username!r} (HTTP 401) at {where}")
        if status in (402, 403):
            raise ErpPermissionError(
                f"ERP user {self.config.username!r} may not read {where} (HTTP {status}: licence or access rights)"
            )
        if status >= 400:
            raise ErpResponseError(f"ERP answered HTTP {status} at {where}: {_server_message(response)}")
        return response


def _server_message(response: httpx.Response) -> str:
    try:
        winstrom = response.json().get("winstrom", {})
    except (ValueError, AttributeError):
        return response.text[:200] or "no message"
    return flexi.error_message(winstrom) if isinstance(winstrom, dict) else "no message"
