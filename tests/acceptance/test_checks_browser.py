"""Issue 12's Must show, in a real browser against real workers: a newcomer adds "negative stock in ZBOZI" in the
dashboard — copied from the library, narrowed in the editor — previews it, adds it to a job, runs the job and gets
an alert. No code, no Django admin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from compliance_monitor.alerts.models import Alert
from compliance_monitor.checks import library
from compliance_monitor.checks.models import CheckDefinition
from compliance_monitor.jobs.models import Job
from tests.acceptance.test_dashboard_browser import LAPTOP, WAIT_MS, make_user, sign_in
from tests.processes import wait_until

pytestmark = pytest.mark.workers
NAME = "stock.negative_zbozi"


@pytest.fixture
def page(browser: Browser, engine: object, live_server: Any) -> Iterator[Page]:
    library.install(now=timezone.now())  # as serve does (a flush removed what an earlier test installed)
    context = browser.new_context(base_url=str(live_server.url), viewport=LAPTOP)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def test_a_newcomer_adds_negative_stock_in_zbozi_previews_it_puts_it_on_a_job_and_gets_an_alert(page: Page) -> None:
    make_user("ada", "admin")
    sign_in(page, "ada")

    # Copy the library's rule and narrow it to ZBOZI in the editor.
    page.get_by_role("link", name="Checks").click()
    page.get_by_test_id("copy-stock.negative").click()
    editor = page.get_by_test_id("check-yaml")
    spec = yaml.safe_load(editor.input_value())
    spec |= {"name": NAME, "title": {"en": "Negative stock in ZBOZI"}, "scope": {"field": "sklad", "values": ["ZBOZI"]}}
    editor.fill(yaml.safe_dump(spec, allow_unicode=True))

    # Preview: findings in ZBOZI only, and nothing stored.
    page.get_by_test_id("preview-check").click()
    preview = page.get_by_test_id("check-preview")
    expect(preview).to_contain_text("ZBOZI")
    expect(page.get_by_test_id("preview-violations")).to_contain_text("ZBOZI")
    assert not CheckDefinition.objects.filter(name=NAME).exists()

    # Save it, then a job running it (picked by its title), run now.
    page.get_by_test_id("save-check").click()
    expect(page).to_have_url(f"/checks/{NAME}/")
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("zbozi-negative")
    page.get_by_label("Schedule (cron)").fill("0 0 1 1 *")  # yearly: beat never interferes
    form = page.get_by_test_id("job-new-form")
    for box in form.locator("input[name=checks]:checked").all():
        box.uncheck()
    form.get_by_label(f"Negative stock in ZBOZI ({NAME})").check()
    page.get_by_test_id("create-job").click()
    expect(page.locator(".flash")).to_contain_text("Created job zbozi-negative")
    page.get_by_test_id("run-now").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("succeeded", timeout=WAIT_MS)

    # The alert, on the alerts page.
    alert = wait_until(lambda: Alert.objects.filter(check_name=NAME).first(), timeout=WAIT_MS / 1000, what="the alert")
    page.goto("/alerts/")
    expect(page.get_by_text(alert.title)).to_be_visible()
    assert alert.warehouse == "ZBOZI" and alert.title.startswith("Negative stock in ZBOZI: ")
    assert Job.objects.get(name="zbozi-negative").checks == [NAME]
