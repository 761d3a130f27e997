"""Acceptance tier: real Celery worker processes against the real broker and test database.

Two workers (prefork, 2 processes each) start once per session; tests that need their own worker
(kill -9) or a beat start those themselves. Tests here use transactional databases so the workers
see what the test commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import Process, start_worker


@pytest.fixture(scope="session")
def process_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("processes")


@pytest.fixture(scope="session")
def workers(django_db_setup: None, django_db_blocker: object, process_logs: Path) -> Iterator[list[Process]]:
    started = [start_worker(f"w{i}", process_logs, wait=False) for i in (1, 2)]
    try:
        for worker in started:
            worker.wait_for_output("ready.")
        yield started
    finally:
        for worker in started:
            worker.stop()


@pytest.fixture
def engine(workers: list[Process], transactional_db: None) -> list[Process]:
    """Running workers plus a database they can see."""
    return workers
