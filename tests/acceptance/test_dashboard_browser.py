"""The dashboard in a real browser (Debian's Chromium via Playwright) against real workers.

The live server runs in this process; Celery workers run the checks; the pages update themselves by polling,
so every wait here is Playwright waiting for the page to show something, never a fixed sleep.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from compliance_monitor.alerts.models import ExecutionReview
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.erp.synthetic import Company
from compliance_monitor.jobs.models import Execution, Job, Status, Trigger
from compliance_monitor.notifications.models import InboxMessage, Recipient
from tests.acceptance.helpers import make_job, result_discarded, trigger, wait_final
from tests.processes import wait_until

pytestmark = pytest.mark.workers
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
WAIT_MS = 30_000  # the longest a page may take to show a run's end (the run itself takes ~1.5 s)


@pytest.fixture
def site(engine: object, live_server: Any, erp: FlexiServer) -> Iterator[str]:
    # Runs look at today's stock (only they change alerts): a company misplacing plenty, so every day shows some.
    usual, erp.state.company = erp.state.company, Company(misplaced_percent=40)
    yield str(live_server.url)
    erp.state.company = usual


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(base_url=site, viewport=LAPTOP)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def make_user(username: str, role: str | None) -> Any:
    user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])  # a flush between tests removes the seeded groups
    return user


def sign_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("role")).to_be_visible()


def mark_page(page: Page) -> None:
    """A marker that a reload would wipe: its survival proves a change came by live update."""
    page.evaluate("window.__stillTheSamePage = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__stillTheSamePage === true")


def compliance_job(**fields: Any) -> Job:
    """A job whose runs take ~1.5 s (long enough to be seen running) and then check the ERP's warehouses."""
    fields.setdefault("default_parameters", {"seconds": 1.5})
    fields.setdefault("cron", "0 0 1 1 *")  # yearly, five next runs to show; no beat runs beside these tests
    return make_job("compliance", checks=["diagnostics.sleep", "warehouse.product_types"], max_retries=0, **fields)


def test_an_operator_signs_in_runs_a_job_and_watches_the_run_finish(page: Page) -> None:
    make_user("olga", "operator")
    job = compliance_job()
    sign_in(page, "olga")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    page.get_by_role("link", name="compliance", exact=True).click()
    page.get_by_label("Reason").fill("checking after the stock move")
    page.get_by_test_id("run-now").click()

    status = page.get_by_test_id("run-status")
    assert status.inner_text().split()[-1] in ("queued", "running")  # it opened while the run was live
    mark_page(page)
    expect(status).to_contain_text("succeeded", timeout=WAIT_MS)
    assert_not_reloaded(page)
    expect(page.get_by_test_id("timeline")).to_contain_text("took")
    expect(page.get_by_test_id("result").first).to_be_visible()
    expect(page.get_by_test_id("triggered-by")).to_have_text("olga")
    run = job.executions.get()
    assert (run.status, run.reason) == (Status.SUCCEEDED, "checking after the stock move")


def test_an_operator_cancels_a_running_run(page: Page, process_logs: Path) -> None:
    """The worker's late report (its check read the ERP after the sleep) is awaited — its log line — and the page,
    reloaded, still shows the run cancelled with no results. Shown failing with ``finish`` accepting a cancelled
    execution as ``from_status`` in jobs/lifecycle.py (the late report then overwrites the cancel)."""
    make_user("olga", "operator")
    job = compliance_job(default_parameters={"seconds": 4})
    run = trigger(job)
    sign_in(page, "olga")
    page.goto(f"/runs/{run.pk}/")
    expect(page.get_by_test_id("run-status")).to_contain_text("running", timeout=WAIT_MS)

    page.get_by_test_id("cancel").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("cancelled")
    expect(page.locator(".flash")).to_contain_text("Cancelled")
    expect(page.get_by_test_id("cancel")).to_have_count(0)
    run.refresh_from_db()
    assert run.status == Status.CANCELLED and "olga" in run.error_message

    wait_until(lambda: result_discarded(process_logs, run), timeout=30, what="the worker's late report")
    page.reload()
    expect(page.get_by_test_id("run-status")).to_contain_text("cancelled")
    run.refresh_from_db()
    assert run.status == Status.CANCELLED and not run.check_results.exists()


def test_alerts_are_acknowledged_and_resolved_in_place(page: Page) -> None:
    make_user("olga", "operator")
    run = wait_final(trigger(compliance_job()))
    assert run.violation_reports, "the synthetic company's stock has misplaced products"
    sign_in(page, "olga")
    page.goto("/alerts/?state=all")
    row = page.locator("tr[data-alert]").first
    expect(row).to_be_visible(timeout=WAIT_MS)  # raised by the worker's follow-up; the inbox polls for it
    row = page.locator(f"#alert-{row.get_attribute('data-alert')}")
    mark_page(page)

    row.get_by_test_id("acknowledge").click()
    expect(row.get_by_test_id("alert-state")).to_have_text("acknowledged")
    expect(row).to_contain_text("by olga")

    row.get_by_test_id("resolve-open").click()
    row.get_by_label("Notes").fill("moved to the right warehouse")
    row.get_by_test_id("resolve").click()
    expect(row.get_by_test_id("alert-state")).to_have_text("resolved")
    assert_not_reloaded(page)

    row.get_by_role("link").first.click()
    history = page.get_by_test_id("alert-history")
    for kind in ("raised", "acknowledged", "resolved"):
        expect(history.locator(f"[data-kind={kind}]")).to_be_visible()
    expect(history).to_contain_text("moved to the right warehouse")


def test_an_admin_disables_and_enables_a_job(page: Page) -> None:
    make_user("ada", "admin")
    job = compliance_job()
    sign_in(page, "ada")
    page.goto(f"/jobs/{job.name}/")

    page.locator("#enable-disable").get_by_label("Reason").fill("ERP upgrade tonight")
    page.get_by_test_id("disable").click()
    expect(page.get_by_test_id("job-state")).to_contain_text("disabled")
    expect(page.get_by_test_id("disabled-reason")).to_contain_text("ERP upgrade tonight")
    job.refresh_from_db()
    assert not job.enabled and job.disabled_by == "ada"

    page.get_by_test_id("enable").click()
    expect(page.get_by_test_id("job-state")).to_contain_text("enabled")
    expect(page.get_by_test_id("next-runs").locator("li")).to_have_count(5)


def test_an_invalid_cron_is_refused_inline(page: Page) -> None:
    make_user("ada", "admin")
    job = compliance_job()
    sign_in(page, "ada")
    page.goto(f"/jobs/{job.name}/")
    cron = page.get_by_label("Schedule (cron)")

    cron.fill("61 * * * *")
    expect(page.get_by_test_id("cron-error")).to_contain_text("minute")
    page.get_by_test_id("save").click()
    expect(page.locator("#configuration .errorlist")).to_contain_text("minute")
    expect(page.get_by_label("Schedule (cron)")).to_have_value("61 * * * *")  # what was typed is kept
    job.refresh_from_db()
    assert job.cron == "0 0 1 1 *"

    page.get_by_label("Schedule (cron)").fill("*/5 * * * *")
    expect(page.get_by_test_id("cron-preview").locator("li")).to_have_count(5)
    page.get_by_test_id("save").click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    job.refresh_from_db()
    assert job.cron == "*/5 * * * *"


def test_a_viewer_sees_no_action_buttons(page: Page) -> None:
    make_user("vera", "viewer")
    run = wait_final(trigger(compliance_job()))
    sign_in(page, "vera")
    page.goto("/jobs/compliance/")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    for testid in ("run-now", "disable", "enable", "save"):
        expect(page.get_by_test_id(testid)).to_have_count(0)
    page.goto("/alerts/")
    expect(page.locator("tr[data-alert]").first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("acknowledge")).to_have_count(0)
    expect(page.get_by_test_id("resolve")).to_have_count(0)
    page.goto(f"/runs/{run.pk}/")
    expect(page.get_by_test_id("cancel")).to_have_count(0)


def test_the_overview_and_the_unread_count_update_by_themselves(page: Page) -> None:
    user = make_user("olga", "operator")
    job = compliance_job()
    sign_in(page, "olga")
    line = page.locator(f"tr[data-job={job.name}]")
    expect(line).to_contain_text("never ran")
    mark_page(page)

    trigger(job)
    expect(line.get_by_test_id("last-run")).to_contain_text("succeeded", timeout=WAIT_MS)
    InboxMessage.objects.create(user=user, title="Critical alert", body="…", created_at=timezone.now())
    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    assert_not_reloaded(page)


def seed_history(job: Job, *, days: int = 14) -> None:
    """Hourly runs over the last days (mostly fine, some failing), so the history and charts have something to show."""
    rng = random.Random(6)  # the same pictures every time
    now = timezone.now()
    runs = []
    for hour in range(days * 24, 0, -1):
        queued = now - timedelta(hours=hour)
        failed = rng.random() < 0.06
        seconds = rng.uniform(8, 14) + (hour % 24 == 6) * 20 + failed * 40
        runs.append(
            Execution(
                job=job,
                trigger=Trigger.SCHEDULED,
                triggered_by="scheduler",
                status=Status.FAILED if failed else Status.SUCCEEDED,
                queued_at=queued,
                scheduled_for=queued,
                started_at=queued,
                finished_at=queued + timedelta(seconds=seconds),
                duration_seconds=seconds,
                total_reports=3,
                successful_reports=0 if failed else 3,
                error_type="ErpUnavailableError" if failed else "",
                error_message="ERP unreachable after 3 attempts" if failed else "",
            )
        )
    Execution.objects.bulk_create(runs)
    # Past runs whose alerts were dealt with long ago: nothing for the alert review to pick up.
    ExecutionReview.objects.bulk_create(ExecutionReview(execution=r, reviewed_at=r.finished_at) for r in runs)
    failures = sum(r.status == Status.FAILED for r in runs)
    Job.objects.filter(pk=job.pk).update(execution_count=len(runs), failure_count=failures)


def test_screenshots_of_every_page(page: Page, screenshot_dir: Path, browser: Browser, site: str) -> None:
    """Every page with data in it, at laptop width, and the overview at tablet width (``make screenshots``)."""
    user = make_user("olga", "admin")
    Recipient.objects.create(  # every alert at once (new recipients get medium and low in an hourly digest)
        name="Olga",
        email="olga@example.com",
        user=user,
        warehouses=["MATERIAL", "ZBOZI"],
        medium_policy="immediate",
        low_policy="immediate",
    )
    job = compliance_job(
        cron="0 * * * *", description="Hourly check that every warehouse holds only the goods types it may hold"
    )
    make_job("semi-products-weekly", cron="0 6 * * 1", description="Weekly deep check of the semi-products store")
    seed_history(job)
    run = wait_final(trigger(job, by="olga", reason="after the stock move"))

    shots = {"login": "/login/"}
    page.goto(shots["login"])
    page.screenshot(path=screenshot_dir / "login.png")
    sign_in(page, "olga")
    page.goto("/alerts/")
    expect(page.locator("tr[data-alert]").first).to_be_visible(timeout=WAIT_MS)
    alert_id = page.locator("tr[data-alert]").first.get_attribute("data-alert")
    expect(page.get_by_test_id("unread-count")).to_be_visible(timeout=WAIT_MS)  # the in-app notifications arrived
    pages = {
        "overview": "/",
        "job": f"/jobs/{job.name}/",
        "run": f"/runs/{run.pk}/",
        "alerts": "/alerts/",
        "alert": f"/alerts/{alert_id}/",
        "notifications": "/notifications/",
    }
    for name, url in pages.items():
        page.goto(url)
        if name == "job":
            page.locator("#conflicts").wait_for(state="attached")  # loaded after the page
        page.screenshot(path=screenshot_dir / f"{name}.png", full_page=True)
    page.set_viewport_size(TABLET)
    page.goto("/")
    page.screenshot(path=screenshot_dir / "overview-tablet.png", full_page=True)
    assert {p.name for p in screenshot_dir.glob("*.png")} >= {f"{name}.png" for name in [*pages, "login"]}

    czech = screenshot_dir / "cs"  # the same pages for a user who reads Czech (issue 15)
    czech.mkdir(exist_ok=True)
    page.set_viewport_size(LAPTOP)
    switch_language(page, "Čeština")
    for name, url in pages.items():
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "cs")
        if name == "job":
            page.locator("#conflicts").wait_for(state="attached")
        page.screenshot(path=czech / f"{name}.png", full_page=True)
    anonymous = browser.new_context(base_url=site, viewport=LAPTOP, locale="cs-CZ")  # Accept-Language: cs
    sign_in_page = anonymous.new_page()
    sign_in_page.goto("/login/")
    expect(sign_in_page.locator("html")).to_have_attribute("lang", "cs")
    sign_in_page.screenshot(path=czech / "login.png")
    anonymous.close()
    assert {p.name for p in czech.glob("*.png")} >= {f"{name}.png" for name in [*pages, "login"]}


def switch_language(page: Page, name: str) -> None:
    """The header's switch: pick the language by its own name, then the button."""
    switch = page.get_by_test_id("language-switch")
    switch.locator("select").select_option(label=name)
    switch.get_by_role("button").click()


def test_a_user_switches_to_czech_in_the_header_and_another_user_still_reads_english(
    page: Page, browser: Browser, site: str
) -> None:
    """Shown failing with the language switch not saving the user's choice (the reload is English again)."""
    make_user("jana", "viewer")
    make_user("tom", "viewer")
    sign_in(page, "jana")
    expect(page.get_by_role("link", name="Alerts", exact=True)).to_be_visible()
    switch_language(page, "Čeština")
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    page.goto("/alerts/")
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    expect(page.get_by_role("link", name="Alerts", exact=True)).to_have_count(0)  # the menu reads Czech

    other = browser.new_context(base_url=site, viewport=LAPTOP)
    tab = other.new_page()
    sign_in(tab, "tom")
    tab.goto("/alerts/")
    expect(tab.locator("html")).to_have_attribute("lang", "en")
    expect(tab.get_by_role("link", name="Alerts", exact=True)).to_be_visible()
    other.close()


def test_the_run_page_lists_the_runs_alerts_once_they_are_reviewed_without_a_reload(page: Page) -> None:
    from tests.acceptance.test_reviewed_at import reviews_held

    make_user("olga", "operator")
    job = make_job("violating", checks=["diagnostics.violations"], default_parameters={"count": 12}, max_retries=0)
    sign_in(page, "olga")
    with reviews_held():  # the run ends, its alert review waits: the page must keep watching
        run = wait_final(trigger(job, warehouses=["MATERIAL"]))
        page.goto(f"/runs/{run.pk}/")
        expect(page.get_by_test_id("run-status")).to_contain_text("succeeded")
        expect(page.get_by_test_id("alerts-pending")).to_contain_text("Reviewing")
        mark_page(page)

    alerts = page.get_by_test_id("run-alerts")
    expect(alerts).to_contain_text("12 misplaced products in warehouse MATERIAL", timeout=WAIT_MS)
    expect(alerts.locator("[data-change=raised]")).to_have_count(1)
    assert_not_reloaded(page)
    expect(page.locator("#run[data-live]")).to_have_count(0)  # settled: it stopped polling
