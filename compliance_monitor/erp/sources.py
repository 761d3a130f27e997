"""Where stock data comes from: the real ERP when ``CM_ERP_URL`` is set, else the demo company."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Protocol

from django.conf import settings

from compliance_monitor.erp import flexi, synthetic
from compliance_monitor.erp.client import ErpConfig, FlexiClient
from compliance_monitor.erp.flexi import StockRow

DEMO_DRIFT_MINUTES = 10  # the demo's stock changes every 10 minutes, so runs differ


class StockSource(Protocol):
    def stock(self, warehouse: str, on: date) -> Iterator[StockRow]: ...

    def close(self) -> None: ...


class DemoSource:
    """The synthetic demo company, read in-process through the same Flexi parsing as the real ERP."""

    def __init__(self, now: datetime, company: synthetic.Company | None = None) -> None:
        self.company = company or synthetic.Company()
        self.slot = int(now.timestamp() // (DEMO_DRIFT_MINUTES * 60))

    def stock(self, warehouse: str, on: date) -> Iterator[StockRow]:
        found = self.company.warehouse(warehouse if warehouse.isdigit() else f"code:{warehouse}")
        if found is None:
            raise flexi.ErpResponseError(f"ERP refused the request: warehouse {warehouse!r} not found")
        for index in range(self.company.row_count(found)):
            facts = self.company.row(found, index, self.slot + on.toordinal())
            yield flexi.stock_row(synthetic.render(found, facts, expanded=True, typing="string"))

    def close(self) -> None:
        pass


def erp_config() -> ErpConfig:
    return ErpConfig(
        url=settings.CM_ERP_URL,
        company=settings.CM_ERP_COMPANY,
        username=settings.CM_ERP_USER,
        password=settings.CM_ERP_PASSWORD,
        verify_tls=settings.CM_ERP_VERIFY_TLS,
        timeout_seconds=settings.CM_ERP_TIMEOUT_SECONDS,
        page_size=settings.CM_ERP_PAGE_SIZE,
        retries=settings.CM_ERP_RETRIES,
        max_rows_per_scope=settings.CM_ERP_MAX_ROWS_PER_SCOPE,
        max_response_bytes=settings.CM_ERP_MAX_RESPONSE_BYTES,
    )


def is_demo() -> bool:
    return not settings.CM_ERP_URL


def open_source(now: datetime) -> StockSource:
    return DemoSource(now) if is_demo() else FlexiClient(erp_config())
