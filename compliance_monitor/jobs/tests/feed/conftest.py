"""Shared by the change feed tests: a tidy Flexi-format server over loopback that books stock and keeps a change log,
a connection and a job reading it, and helpers to book, run and poll."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from django.test import override_settings

from compliance_monitor.alerts import raising
from compliance_monitor.alerts.models import Alert, AlertType
from compliance_monitor.checks.defaults import ensure_default_rules
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp import change_feed, synthetic
from compliance_monitor.erp.models import ChangeFeed, Connection, FeedMode
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.jobs import feeds, runner, services
from compliance_monitor.jobs.models import Execution, Job
from tests.erp_connection import connect_to, ensure_original_reports

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TIDY = synthetic.Company(misplaced_percent=0)  # no warehouse holds foreign goods: no alert before a booking
WINDOW = 5.0


def material_product() -> str:
    """A product card of the MATERIAL goods group: booked into ZBOZI (goods and products only), it is misplaced."""
    store = TIDY.warehouse("code:MATERIAL")
    assert store is not None
    index = next(i for i in range(40) if (g := TIDY.group_of(store, i)[1]) is not None and g.code == "MATERIAL")
    return f"MAT{index:05d}"


@pytest.fixture
def erp() -> Iterator[FlexiServer]:
    server = FlexiServer(FlexiState(TIDY, username="api", password="pw")).start_in_thread()
    with override_settings(CM_ERP_RETRIES=0, CM_CHANGE_WINDOW_SECONDS=WINDOW):
        yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def connection(transactional_db: None, erp: FlexiServer) -> Connection:
    ensure_default_rules(WarehouseRule)
    ensure_original_reports()
    return connect_to(erp, page_size=50)


@pytest.fixture
def job(connection: Connection) -> Job:
    return services.create_job(
        now=T0, name="stock", cron="0 * * * *", checks=[CHECK_NAME], max_retries=2, connection=connection
    )


@pytest.fixture
def polled(connection: Connection, job: Job) -> ChangeFeed:
    return change_feed.set_mode(connection, FeedMode.POLL, now=T0)


def book(erp: FlexiServer, warehouse: str, *lines: tuple[str, float]) -> None:
    document = {"sklad": f"code:{warehouse}", "polozkyDokladu": [{"cenik": f"code:{c}", "mnozMj": q} for c, q in lines]}
    answer = httpx.put(
        f"{erp.url}/c/demo/skladovy-pohyb.json", json={"winstrom": {"skladovy-pohyb": [document]}}, auth=("api", "pw")
    )
    assert answer.status_code == 200, answer.text


def run(execution: Execution, at: datetime) -> Execution:
    runner.run(execution.pk, worker="here/1", clock=lambda: at)
    raising.process_execution(execution.pk, now=at)
    execution.refresh_from_db()
    return execution


def zbozi_alert() -> Alert | None:
    return Alert.objects.filter(type=AlertType.COMPLIANCE_VIOLATION, warehouse="ZBOZI").first()


Poll = Callable[[datetime], int]


@pytest.fixture
def poll(polled: ChangeFeed) -> Poll:
    return lambda at: feeds.poll(ChangeFeed.objects.get(pk=polled.pk), now=at)
