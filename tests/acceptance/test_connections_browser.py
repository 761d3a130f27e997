"""The Must show, in a real browser against real workers: a newcomer adds a second ERP connection in the dashboard,
tests it, reads its catalog, picks a warehouse and a goods group for a rule, creates a job on it and runs it — no
Django admin, no environment variable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.erp.models import Connection
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from compliance_monitor.jobs.models import Job
from tests.acceptance.test_dashboard_browser import LAPTOP, WAIT_MS, make_user, sign_in

pytestmark = pytest.mark.workers


@pytest.fixture
def acme() -> Iterator[FlexiServer]:
    """The second company's ERP: other warehouses (SUROVINY id 61, ZBOZI id 62) on a server of its own."""
    server = FlexiServer(FlexiState.of(Company.other("acme"), username="api", password="pw")).start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser: Browser, engine: object, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=str(live_server.url), viewport=LAPTOP)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def test_a_newcomer_adds_a_connection_picks_rules_from_its_catalog_and_runs_a_job(
    page: Page, acme: FlexiServer, screenshot_dir: Path
) -> None:
    make_user("ada", "admin")
    sign_in(page, "ada")

    # Add the connection.
    page.get_by_role("link", name="Connections").click()
    form = page.get_by_test_id("connection-form")
    form.get_by_label("Name").fill("acme")
    form.get_by_label("Title").fill("Acme s.r.o.")
    form.get_by_label("Base URL").fill(acme.url)
    form.get_by_label("Company").fill("acme")
    form.get_by_label("API user").fill("api")
    form.get_by_label("Password").fill("pw")
    page.get_by_test_id("add").click()
    expect(page.locator(".flash")).to_contain_text("Added connection acme")
    expect(page.get_by_test_id("next-steps")).to_contain_text("Test the connection")

    # Test it: every step passes.
    page.get_by_test_id("test").click()
    expect(page.get_by_test_id("last-test")).to_contain_text("passed")
    expect(page.get_by_test_id("steps")).to_contain_text("2 warehouses (sklad)")
    expect(page.get_by_test_id("steps").get_by_text("✗ failed")).to_have_count(0)

    # Read its catalog.
    page.get_by_test_id("refresh-catalog").click()
    warehouses = page.get_by_test_id("catalog-warehouses")
    expect(warehouses).to_contain_text("SUROVINY")
    expect(warehouses).to_contain_text("Finished goods")

    # A rule: warehouse ZBOZI from the list, goods group VYROBEK by its box.
    page.get_by_test_id("add-rule").click()
    page.get_by_label("Warehouse", exact=True).select_option(label="ZBOZI — Finished goods")
    page.get_by_label("VYROBEK — Product", exact=True).check()
    page.get_by_test_id("save-rule").click()
    rule = page.get_by_test_id("rule-ZBOZI")
    expect(rule).to_contain_text("Finished goods")
    expect(rule).to_contain_text("VYROBEK Product")
    expect(rule.get_by_test_id("unknown-codes")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "connection.png", full_page=True)

    # A job on it, limited to that warehouse.
    page.get_by_test_id("new-job").click()
    expect(page.get_by_label("Connection")).to_have_value("acme")
    page.get_by_label("Name").fill("acme-check")
    page.get_by_label("Schedule (cron)").fill("0 0 1 1 *")  # yearly: beat never interferes
    expect(page.locator("#cron-preview")).to_contain_text("Next runs of 0 0 1 1 *")
    expect(page.get_by_test_id("cron-preview")).to_contain_text("01.01.")
    page.get_by_test_id("job-warehouses").get_by_label("ZBOZI").check()
    page.screenshot(path=screenshot_dir / "job-new.png", full_page=True)
    page.get_by_test_id("create-job").click()
    expect(page.locator(".flash")).to_contain_text("Created job acme-check on connection acme")
    expect(page.get_by_test_id("job-connection")).to_contain_text("acme")

    # Run it and watch it finish with a result for ZBOZI of acme.
    page.get_by_test_id("run-now").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("succeeded", timeout=WAIT_MS)
    result = page.get_by_test_id("result")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("ZBOZI")

    job = Job.objects.get(name="acme-check")
    connection = Connection.objects.get(name="acme")
    assert job.connection == connection and job.warehouses == ["ZBOZI"]
    rule_row = WarehouseRule.objects.get(connection=connection)
    assert (rule_row.warehouse_code, rule_row.warehouse_id, rule_row.allowed) == ("ZBOZI", 62, ["VYROBEK"])
    (checked,) = job.executions.get().check_results.all()
    assert (checked.connection, checked.warehouse) == ("acme", "ZBOZI") and checked.status in ("passed", "violated")
    assert checked.rows_read == Company.other("acme").products_per_warehouse  # acme's ZBOZI (id 62), read whole
