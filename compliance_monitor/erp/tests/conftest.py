from __future__ import annotations

from collections.abc import Iterator

import pytest

from compliance_monitor.erp.client import ErpConfig, FlexiClient
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company

PASSWORD = "s3cret-pa55"


@pytest.fixture
def flexi() -> Iterator[FlexiServer]:
    """A Flexi-format server on a fresh loopback port, with the demo company (3 warehouses x 40 rows)."""
    server = FlexiServer(FlexiState(Company(), username="api", password=PASSWORD)).start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(flexi: FlexiServer, sleeps: list[float]) -> Iterator[FlexiClient]:
    config = ErpConfig(flexi.url, "demo", "api", PASSWORD, page_size=7, retries=2, timeout_seconds=0.3)
    with FlexiClient(config, sleep=sleeps.append) as flexi_client:
        yield flexi_client
