"""Acceptance tier: real Celery worker processes against the real broker and test database.

Two workers (prefork, 2 processes each) start once per session; tests that need their own worker
(kill -9) or a beat start those themselves. Tests here use transactional databases so the workers
see what the test commits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, sync_playwright

from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from compliance_monitor.notifications.tests.conftest import Inbox, free_port
from tests.erp_connection import connect_to
from tests.processes import Process, start_worker, wait_until


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
def smtp() -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) the workers mail to."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port  # type: ignore[attr-defined]
    yield inbox
    controller.stop()


@pytest.fixture(scope="session")
def workers(
    django_db_setup: None, django_db_blocker: object, process_logs: Path, erp: FlexiServer, smtp: Inbox
) -> Iterator[list[Process]]:
    env = {
        "CM_ERP_URL": erp.url,
        "CM_ERP_COMPANY": "demo",
        "CM_ERP_USER": "api",
        "CM_ERP_PASSWORD": "pw",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port(smtp)),
    }
    started = [start_worker(f"w{i}", process_logs, wait=False, env=env) for i in (1, 2)]
    try:
        for worker in started:
            worker.wait_for_output("ready.")
        yield started
    finally:
        for worker in started:
            worker.stop()


@pytest.fixture
def engine(workers: list[Process], transactional_db: None, erp: FlexiServer) -> Iterator[list[Process]]:
    """Running workers plus a database they can see, with the seed data each flush removes: the default rules,
    on the ``default`` connection to the local ERP server (every job made here reads it).

    Afterwards it waits for the workers to go quiet (runs finished, their alerts reviewed): flushing tables
    while a worker still writes deadlocks on PostgreSQL (TRUNCATE against row locks).
    """
    from compliance_monitor.checks.defaults import ensure_default_rules
    from compliance_monitor.checks.models import WarehouseRule

    ensure_default_rules(WarehouseRule)
    connect_to(erp)
    yield workers
    wait_until(_workers_quiet, timeout=30, interval=0.05, what="the workers to finish their follow-up work")


def _workers_quiet() -> bool:
    from django.db.models import Q
    from django.utils import timezone

    from compliance_monitor.jobs.models import LIVE_STATUSES, Execution, Status

    now = timezone.now()
    waiting_for_backoff = Q(status=Status.QUEUED, scheduled_for__gt=now)  # fires later and finds no row: harmless
    live = Execution.objects.filter(status__in=LIVE_STATUSES).exclude(waiting_for_backoff)
    unreviewed = Execution.objects.exclude(status__in=[*LIVE_STATUSES, Status.SKIPPED, Status.CANCELLED]).filter(
        alert_review__isnull=True
    )
    return not live.exists() and not unreviewed.exists()


def smtp_port(inbox: Inbox) -> int:
    return int(inbox.port)  # type: ignore[attr-defined]


CHROMIUM = os.environ.get("CM_CHROMIUM", "/usr/bin/chromium")
# Offline machines: no background requests, no updates, no sign-in; no GPU on a server.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (``scripts/ensure-chromium`` installs it)."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: run scripts/ensure-chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop in this thread, so Django would refuse the tests' own ORM calls
    # as "async"; they are plain synchronous calls (the documented escape hatch for exactly this case).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where page screenshots go: ``CM_SCREENSHOT_DIR`` (``make screenshots`` → docs/screenshots) or a temp dir."""
    configured = os.environ.get("CM_SCREENSHOT_DIR")
    if configured:
        Path(configured).mkdir(parents=True, exist_ok=True)
        return Path(configured)
    return tmp_path_factory.mktemp("screenshots")
