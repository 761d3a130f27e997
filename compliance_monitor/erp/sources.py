"""Where stock data comes from: a connection's ABRA Flexi server, or the built-in demo company."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from django.utils import timezone

from compliance_monitor.erp import bookings, flexi, server, synthetic
from compliance_monitor.erp.client import FlexiClient, Pager
from compliance_monitor.erp.flexi import StockRow
from compliance_monitor.erp.models import Connection
from compliance_monitor.erp.reads import RowRequest

T = TypeVar("T")
DEMO_DRIFT_MINUTES = 10  # the demo's stock changes every 10 minutes, so runs differ
DEMO_PAGE_SIZE, DEMO_MAX_ROWS = 1000, 5_000_000


class StockSource(Protocol):
    def stock(self, warehouse: str, on: date) -> Iterator[StockRow]: ...

    def rows(self, request: RowRequest) -> Iterator[dict[str, Any]]: ...  # any evidence (erp/reads.py)

    def row_pages(self, request: RowRequest) -> Iterator[list[dict[str, Any]]]: ...  # the same, page by page

    def interrupt(self) -> None: ...  # from another thread: the read in progress asks for nothing more

    def close(self) -> None: ...


class DemoSource:
    """The synthetic demo company, read in-process through the same Flexi parsing as the real ERP."""

    def __init__(
        self, now: datetime, company: synthetic.Company | None = None, log: bookings.ChangeLog | None = None
    ) -> None:
        self.company = company or synthetic.Company.demo()
        self.slot = int(now.timestamp() // (DEMO_DRIFT_MINUTES * 60))
        self.today = timezone.localtime(now).date()
        self.log = log or bookings.ChangeLog()  # what was booked into the demo (erp/demo.py), read before any thread

    def state(self) -> server.FlexiState:
        state = server.FlexiState(self.company, today=self.today, stock_slot=self.slot)
        state.logs[self.company.code] = self.log
        return state

    def get_json(self, path: str, params: dict[str, str]) -> Any:
        """One answer of the local Flexi-format server's code, in-process: the change log, a record, an evidence."""
        return self.send("GET", path, params)

    def send(self, method: str, path: str, params: dict[str, str]) -> Any:
        state, full = self.state(), f"/c/{self.company.code}/{path}"
        try:
            written = server.changelog_route(state, full, params, method)
            return written if written is not None else server.route(state, full, params)
        except server.ApiError as exc:
            raise flexi.ErpResponseError(f"ERP refused the request: {exc.message}") from None

    def stock(self, warehouse: str, on: date) -> Iterator[StockRow]:
        found = self.company.warehouse(warehouse if warehouse.isdigit() else f"code:{warehouse}")
        if found is None:
            raise flexi.ErpResponseError(f"ERP refused the request: warehouse {warehouse!r} not found")
        for index in range(self.company.row_count(found)):
            facts = self.company.row(found, index, self.slot + on.toordinal())
            yield flexi.stock_row(synthetic.render(found, facts, expanded=True, typing="string"))

    def rows(self, request: RowRequest) -> Iterator[dict[str, Any]]:
        for page in self.row_pages(request):
            yield from page

    def row_pages(self, request: RowRequest) -> Iterator[list[dict[str, Any]]]:
        """Any evidence the local Flexi-format server serves, answered in-process by the same code (no HTTP) and
        proven whole by the same :class:`Pager` as a real read."""
        state = self.state()
        path, pager = f"/c/{self.company.code}/{request.path()}", Pager(DEMO_PAGE_SIZE, DEMO_MAX_ROWS)
        while True:
            params = {**request.params(), "limit": str(pager.limit), "start": str(pager.start), "order": "id"}
            try:
                body = server.route(state, path, {**params, "add-row-count": "true"})
            except server.ApiError as exc:
                raise flexi.ErpResponseError(f"ERP refused the request: {exc.message}") from None
            yield pager.accept(*flexi.envelope(body, request.evidence))
            if pager.done:
                return

    def interrupt(self) -> None:
        pass  # in-process: between rows, the reader's own stop check is enough

    def close(self) -> None:
        pass


def open_source(connection: Connection, now: datetime, **overrides: Any) -> StockSource:
    """Read through ``connection``: the in-process demo company, or its ABRA Flexi server (``overrides``: of its
    client's configuration, e.g. fewer retries)."""
    if connection.is_demo:
        from compliance_monitor.erp import demo

        return DemoSource(now, log=demo.change_log())
    return FlexiClient(connection.to_erp_config(**overrides))
