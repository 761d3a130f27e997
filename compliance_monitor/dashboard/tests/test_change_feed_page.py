"""Issue 13 on the dashboard: the connection's change feed card (state, switch, the demo's booking action) and a
change run's page naming the changes that caused it, and each violation's culprit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from django.test import Client
from django.utils import timezone

from compliance_monitor.checks.base import Violation
from compliance_monitor.checks.results import store_outcomes
from compliance_monitor.dashboard.tests.conftest import outcome
from compliance_monitor.erp.models import ChangeFeed, DemoBooking
from compliance_monitor.jobs.models import Execution, Job, Status, Trigger

DEMO = "/connections/demo/"


def test_the_connection_page_shows_the_feed_and_offers_the_demo_booking_to_operators(as_role) -> None:
    viewer, operator = as_role("viewer").get(DEMO), as_role("operator").get(DEMO)

    assert b'data-testid="change-feed"' in viewer.content and b'data-testid="feed-mode">off' in viewer.content
    assert b'data-testid="booking-form"' not in viewer.content
    assert b'data-testid="booking-form"' in operator.content and b'data-testid="feed-form"' not in operator.content


def test_the_booking_preselects_a_warehouse_with_no_open_alert_so_a_new_one_appears(as_role) -> None:
    from compliance_monitor.alerts.models import Alert, AlertType, Severity

    operator = as_role("operator")
    assert b'<option value="ZBOZI" selected>' in operator.get(DEMO).content
    for code in ("ZBOZI", "MATERIAL"):
        Alert.objects.create(
            type=AlertType.COMPLIANCE_VIOLATION, severity=Severity.LOW, fingerprint=f"x:{code}", title="t",
            connection="demo", warehouse=code, raised_at=timezone.now(), last_seen_at=timezone.now(),
        )  # fmt: skip

    page = operator.get(DEMO).content

    assert b'<option value="POLOTOVARY" selected>' in page and b'value="MAT00001"' in page
    assert b"<strong>POLOTOVARY</strong> has no open alert now, so booking there raises a new one." in page


def test_an_admin_switches_the_feed_and_an_operator_may_not(as_role: Callable[[str], Client]) -> None:
    assert as_role("operator").post(f"{DEMO}feed", {"mode": "poll"}).status_code == 403

    answer = as_role("admin").post(f"{DEMO}feed", {"mode": "poll"}, follow=True)

    assert ChangeFeed.objects.get(connection__name="demo").mode == "poll"
    assert b"Change feed of demo: poll." in answer.content and b'data-testid="feed-mode">poll' in answer.content


def test_an_operator_books_stock_and_a_wrong_product_is_named(as_role: Callable[[str], Client]) -> None:
    operator = as_role("operator")

    done = operator.post(
        f"{DEMO}demo/book", {"warehouse": "ZBOZI", "product": "mat00001", "quantity": "5"}, follow=True
    )
    wrong = operator.post(f"{DEMO}demo/book", {"warehouse": "ZBOZI", "product": "NOPE", "quantity": "5"}, follow=True)

    assert b"Booked 5 \xc3\x97 MAT00001 into ZBOZI (document SP-0001/" in done.content
    assert b"Not booked: cenik: product &#x27;NOPE&#x27; does not exist" in wrong.content
    assert DemoBooking.objects.count() == 1


def test_a_change_run_page_names_its_changes_and_each_violations_culprit_as_plain_text(as_role, job: Job) -> None:
    cause = {
        "version": 1003,
        "evidence": "skladovy-pohyb-polozka",
        "record": "7",
        "operation": "create",
        "warehouse": "ZBOZI",
        "product": "MAT00001",
        "document": "<b>SP-9</b>",
        "user": "kate",
        "link": "https://erp.example.com/c/demo/skladovy-pohyb/9",
    }
    now = timezone.now()
    run = Execution.objects.create(
        job=job,
        trigger=Trigger.CHANGE,
        status=Status.SUCCEEDED,
        queued_at=now,
        started_at=now,
        finished_at=now,
        warehouses=["ZBOZI"],
        reason="1 change(s) in the ERP",
        context={"changes": [cause], "change_count": 1},
    )
    found = outcome("ZBOZI", "MAT00001")
    blamed = Violation("ZBOZI", "MAT00001", detail={"culprit": {"document": cause["document"], "user": "kate"}})
    store_outcomes(run, [replace(found, violations=(blamed,))], current=True)

    page = as_role("viewer").get(f"/runs/{run.pk}/").content.decode()

    assert 'data-testid="run-changes"' in page and "skladovy-pohyb-polozka #7" in page
    assert "&lt;b&gt;SP-9&lt;/b&gt;" in page and "<b>SP-9</b>" not in page
    assert 'href="https://erp.example.com/c/demo/skladovy-pohyb/9"' in page
    assert "by kate" in page
