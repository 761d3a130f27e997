"""Item 12: nothing from third parties, in a real browser (Debian's Chromium via Playwright).

Every page the service shows — the dashboard's, the API docs, the admin — is visited while every request the page
makes is recorded: none may leave the service's host (the machines are offline), and the Content-Security-Policy
('self' only) must refuse nothing, since a refusal means a page needed something it may not have.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from compliance_monitor.alerts import raising
from compliance_monitor.alerts import tasks as alert_tasks
from compliance_monitor.alerts.models import Alert
from compliance_monitor.checks.base import CheckOutcome, Violation
from compliance_monitor.jobs import lifecycle, services
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Job, Status
from compliance_monitor.notifications.models import InboxMessage

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PASSWORD = "a-long-enough-password"
WAIT_MS = 30_000
# Chromium reports what a CSP refused both as a console message and as a securitypolicyviolation event.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) =>
  window.reportCspViolation(`${e.violatedDirective} refused ${e.blockedURI || "inline"} on ${e.documentURI}`));
"""


class Recorder:
    """What the pages of one browser context asked for, and what the browser refused or complained about."""

    def __init__(self, context: BrowserContext) -> None:
        self.requests: list[str] = []
        self.problems: list[str] = []
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("console", self._console)
        context.expose_binding("reportCspViolation", lambda _source, text: self.problems.append(f"CSP: {text}"))
        context.add_init_script(REPORT_CSP_VIOLATIONS)

    def _console(self, message: Any) -> None:
        text, url = message.text, message.location.get("url", "")
        if "Content Security Policy" in text or (message.type == "error" and not missing_icon(url)):
            self.problems.append(f"console {message.type}: {text} ({url})")

    def off_host(self) -> list[str]:
        return [url for url in self.requests if urlsplit(url).scheme not in ("data", "blob") and not local(url)]


def local(url: str) -> bool:
    return urlsplit(url).hostname in LOCAL_HOSTS


def missing_icon(url: str) -> bool:
    """The admin's pages name no icon, so Chromium asks our server for /favicon.ico (404): nothing about the CSP."""
    return urlsplit(url).path == "/favicon.ico"


@pytest.fixture
def recorded(browser: Browser, live_server: Any) -> Iterator[tuple[Page, Recorder]]:
    context = browser.new_context(base_url=str(live_server.url), viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    recorder = Recorder(context)
    yield context.new_page(), recorder
    context.close()


def a_polled_refresh(page: Page, path: str) -> Any:
    """Wait for the page's own live update of ``path`` (an htmx poll): htmx runs under the policy."""
    return page.expect_request(lambda r: urlsplit(r.url).path == path and r.headers.get("hx-request") == "true")


@pytest.fixture
def seeded(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> tuple[Job, Execution, Alert]:
    """A job, a finished run of it with violations, the alert it raised, and a notification in the inbox.

    Made by the services themselves, as the dashboard's tests do: what is tested here is the browser's side.
    """
    monkeypatch.setattr(alert_tasks.process_execution, "apply_async", lambda *args, **kwargs: None)  # raised below
    now = timezone.now()
    user = get_user_model().objects.create_superuser("ada", "ada@example.com", PASSWORD)
    job = services.create_job(now=now, name="compliance", cron="0 * * * *", checks=["diagnostics.pass"])
    run = Execution.objects.create(job=job, trigger="manual", triggered_by="ada", queued_at=now)
    lifecycle.claim(run.pk, worker="w1@host", now=now)
    misplaced = tuple(Violation("MATERIAL", f"M{i:03d}", product_name=f"Product {i}", quantity=2) for i in range(3))
    outcome = CheckOutcome("warehouse.product_types", "MATERIAL", misplaced, report_name="MATERIALReport")
    lifecycle.finish(run.pk, Result(Status.SUCCEEDED, (outcome,)), now=now + timedelta(seconds=2))
    raising.process_execution(run.pk, now=now + timedelta(seconds=2))
    InboxMessage.objects.create(user=user, title="Critical alert", body="…", created_at=now)
    return job, run, Alert.objects.get()


def sign_in(page: Page) -> None:
    page.goto("/login/")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("role")).to_be_visible()


def test_item_12_no_page_loads_anything_from_third_parties_or_breaks_the_csp(
    recorded: tuple[Page, Recorder], seeded: tuple[Job, Execution, Alert]
) -> None:
    page, recorder = recorded
    job, run, alert = seeded

    sign_in(page)  # the login page, anonymous, then signed in
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    with a_polled_refresh(page, "/"):
        pass

    page.goto(f"/jobs/{job.name}/")
    page.locator("#conflicts").wait_for(state="attached")  # loaded by htmx after the page
    page.get_by_label("Schedule (cron)").fill("*/5 * * * *")
    expect(page.get_by_test_id("cron-preview").locator("li")).to_have_count(5)

    page.goto(f"/runs/{run.pk}/")
    expect(page.get_by_test_id("run-status")).to_contain_text("succeeded")

    page.goto("/alerts/")
    expect(page.locator("tr[data-alert]").first).to_be_visible()
    with a_polled_refresh(page, "/alerts/"):
        pass
    page.goto(f"/alerts/{alert.pk}/")
    expect(page.get_by_test_id("alert-history")).to_be_visible()
    page.goto("/notifications/")
    expect(page.get_by_text("Critical alert")).to_be_visible()

    page.goto("/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=WAIT_MS)  # Swagger UI rendered the operations
    expect(page.locator(".info .title")).to_contain_text("compliance-monitor")

    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto("/admin/jobs/job/")
    expect(page.locator("#result_list")).to_contain_text(job.name)
    page.goto(f"/admin/jobs/job/{job.pk}/change/")
    expect(page.locator("#job_form")).to_be_visible()

    assert any(local(url) and "/static/ninja/swagger-ui-bundle.js" in url for url in recorder.requests)
    assert recorder.off_host() == []
    assert recorder.problems == [], "\n".join(recorder.problems)


def test_item_12_a_live_part_still_waits_while_its_form_is_open_without_eval(
    recorded: tuple[Page, Recorder], seeded: tuple[Job, Execution, Alert]
) -> None:
    """The wait used to be an htmx trigger filter, which is eval; the policy forbids eval, dashboard.js does it."""
    page, recorder = recorded
    sign_in(page)
    response = page.goto("/alerts/")
    assert response is not None and "default-src 'self'" in response.headers.get("content-security-policy", "")
    row = page.locator("tr[data-alert]").first
    expect(row).to_be_visible()

    row.get_by_test_id("resolve-open").click()  # opens the "Resolve…" box inside the live part
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.headers.get("hx-request") == "true" else None)
    page.wait_for_timeout(4_000)  # longer than a poll period (3 s): a refresh would have come by now
    assert [url for url in polls if urlsplit(url).path == "/alerts/"] == []

    row.get_by_test_id("resolve-open").click()  # closes it again
    page.evaluate("document.activeElement.blur()")  # and leaves it: nothing in the live part has focus
    with a_polled_refresh(page, "/alerts/"):
        pass
    assert recorder.problems == [], "\n".join(recorder.problems)
