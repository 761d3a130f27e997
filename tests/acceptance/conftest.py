"""Acceptance tier: real Celery worker processes against the real broker and test database.

Two workers (prefork, 2 processes each) start once per session; tests that need their own worker
(kill -9) or a beat start those themselves. Tests here use transactional databases so the workers
see what the test commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from tests.processes import Process, start_worker


@pytest.fixture(scope="session")
def process_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("processes")


@pytest.fixture(scope="session")
def erp() -> Iterator[FlexiServer]:
    """The ERP the workers read: a Flexi-format server on loopback, faults switchable by the tests."""
    server = FlexiServer(FlexiState(Company(), username="api", password="pw")).start_in_thread()
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def workers(
    django_db_setup: None, django_db_blocker: object, process_logs: Path, erp: FlexiServer
) -> Iterator[list[Process]]:
    env = {"CM_ERP_URL": erp.url, "CM_ERP_COMPANY": "demo", "CM_ERP_USER": "api", "CM_ERP_PASSWORD": "pw"}
    started = [start_worker(f"w{i}", process_logs, wait=False, env=env) for i in (1, 2)]
    try:
        for worker in started:
            worker.wait_for_output("ready.")
        yield started
    finally:
        for worker in started:
            worker.stop()


@pytest.fixture
def engine(workers: list[Process], transactional_db: None) -> list[Process]:
    """Running workers plus a database they can see, with the seed data each flush removes."""
    from compliance_monitor.checks.defaults import ensure_default_rules
    from compliance_monitor.checks.models import WarehouseRule

    ensure_default_rules(WarehouseRule)
    return workers
