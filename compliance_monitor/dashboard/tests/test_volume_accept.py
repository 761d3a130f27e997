"""Issue 10, item 3: an administrator accepts a collapsed read's volume from the alert's page (recorded)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from compliance_monitor.alerts.models import Alert, State
from compliance_monitor.alerts.raising import compliance_fingerprint, volume_fingerprint
from compliance_monitor.checks.models import CheckResult
from compliance_monitor.dashboard.tests.conftest import outcome

CHECK = "warehouse.product_types"


def read(warehouse: str, rows: int, *codes: str):
    return replace(outcome(warehouse, *codes), rows_read=rows, volume_guard=True, rows_label="stock rows")


def collapsed(finished_run) -> Alert:
    finished_run(read("ZBOZI", 4000, "Z001"), ago=timedelta(hours=2))
    finished_run(read("ZBOZI", 0), ago=timedelta(hours=1))
    return Alert.objects.get(fingerprint=volume_fingerprint("demo", CHECK, "ZBOZI"))


def test_item_3_the_alert_page_offers_accepting_the_volume_to_admins_only(as_role, finished_run) -> None:
    guard = collapsed(finished_run)
    assert guard.title == "ZBOZI returned 0 stock rows, usually about 4,000"

    assert 'data-testid="accept-volume"' in as_role("admin").get(f"/alerts/{guard.pk}/").content.decode()
    assert 'data-testid="accept-volume"' not in as_role("operator").get(f"/alerts/{guard.pk}/").content.decode()
    refused = as_role("operator").post(f"/alerts/{guard.pk}/accept-volume")
    assert refused.status_code == 302 and not CheckResult.objects.filter(volume_accepted_by__gt="").exists()


def test_item_3_accepting_records_who_and_resolves_what_the_read_held_back(as_role, finished_run) -> None:
    guard = collapsed(finished_run)
    violation = Alert.objects.get(fingerprint=compliance_fingerprint("demo", CHECK, "ZBOZI"))
    assert violation.state == State.OPEN, "the suspect clean read did not resolve it"

    response = as_role("admin").post(f"/alerts/{guard.pk}/accept-volume")

    assert response.status_code == 302
    accepted = CheckResult.objects.get(volume_accepted_by="admin-user")
    assert accepted.rows_read == 0 and accepted.volume_accepted_at is not None
    guard.refresh_from_db()
    violation.refresh_from_db()
    assert guard.state == violation.state == State.RESOLVED and guard.resolved_by == "admin-user"
    again = as_role("admin").post(f"/alerts/{guard.pk}/accept-volume", HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "no suspect read" in again.content.decode()


def test_item_3_the_run_page_says_a_read_was_suspect_or_incomplete(as_role, finished_run) -> None:
    from compliance_monitor.checks.base import CheckOutcome

    finished_run(read("ZBOZI", 4000, "Z001"), ago=timedelta(hours=2))
    broken = CheckOutcome(CHECK, "MATERIAL", error="MATERIAL: the ERP announced 44 rows and sent 30")
    run = finished_run(read("ZBOZI", 0), broken, ago=timedelta(hours=1))

    html = as_role("viewer").get(f"/runs/{run.pk}/").content.decode()

    assert "Suspect volume: ZBOZI returned 0 stock rows, usually about 4,000; this read resolved nothing" in html
    assert "Not read whole — its alerts were left as they were: MATERIAL: the ERP announced 44 rows and sent 30" in html
