from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from compliance_monitor.alerts import escalation
from compliance_monitor.alerts.models import Alert, EventKind, State

HX = {"HX-Request": "true"}


def test_the_inbox_lists_active_alerts_most_severe_first_with_badges(as_role, alerts) -> None:
    page = as_role("viewer").get("/alerts/").content.decode()
    assert page.index("12 misplaced products") < page.index("1 misplaced product")
    assert "‼ critical" in page and "• medium" in page
    assert page.count("needs acknowledgement</span>") == 1
    assert "1 need acknowledgement" in page


def test_filters_narrow_by_state_severity_type_and_warehouse(as_role, alerts) -> None:
    client = as_role("viewer")
    assert "ZBOZI" not in client.get("/alerts/", {"severity": "high"}).content.decode().split("<tbody>")[1]
    assert "MATERIAL" not in client.get("/alerts/", {"warehouse": "ZBOZI"}).content.decode().split("<tbody>")[1]
    assert "No alerts match" in client.get("/alerts/", {"state": "resolved"}).content.decode()
    assert "No alerts match" in client.get("/alerts/", {"type": "job_failure"}).content.decode()
    assert client.get("/alerts/", {"state": "bogus", "page": "x"}).status_code == 200  # bad filters: the defaults


def test_acknowledging_in_place_returns_the_updated_row(as_role, alerts) -> None:
    alert = alerts["MATERIAL"]
    response = as_role("operator").post(f"/alerts/{alert.pk}/acknowledge", headers=HX)
    row = response.content.decode()
    assert response.status_code == 200 and row.lstrip().startswith("<tr")
    assert 'data-state="acknowledged"' in row and "by operator-user" in row and "Acknowledged alert" in row
    again = as_role("operator").post(f"/alerts/{alert.pk}/acknowledge", headers=HX)
    assert again.status_code == 409 and "only an open alert" in again.content.decode()


def test_resolving_needs_notes_and_records_them(as_role, alerts) -> None:
    alert = alerts["ZBOZI"]
    client = as_role("operator")
    empty = client.post(f"/alerts/{alert.pk}/resolve", {"notes": "  "}, headers=HX)
    assert empty.status_code == 422 and "notes are required" in empty.content.decode()
    done = client.post(f"/alerts/{alert.pk}/resolve", {"notes": "moved to the right store"}, headers=HX)
    assert done.status_code == 200 and 'data-state="resolved"' in done.content.decode()
    alert.refresh_from_db()
    assert alert.state == State.RESOLVED and alert.resolution_notes == "moved to the right store"
    assert alert.resolved_by == "operator-user"


def test_without_javascript_the_forms_post_and_come_back_with_a_message(as_role, alerts) -> None:
    alert = alerts["MATERIAL"]
    response = as_role("operator").post(f"/alerts/{alert.pk}/resolve", {"notes": "fixed"}, follow=True)
    assert "Resolved alert" in response.content.decode()
    response = as_role("operator").post(f"/alerts/{alert.pk}/acknowledge", follow=True)
    assert "is resolved" in response.content.decode()


def test_an_alert_page_shows_its_products_and_whole_history(as_role, alerts) -> None:
    alert = alerts["MATERIAL"]
    client = as_role("operator")
    client.post(f"/alerts/{alert.pk}/acknowledge")
    client.post(f"/alerts/{alert.pk}/resolve", {"notes": "relocated"})
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    history = page.split('data-testid="alert-history"')[1].split("</ol>")[0]
    for kind in ("raised", "acknowledged", "resolved"):
        assert f'data-kind="{kind}"' in history
    assert "notes: relocated" in history
    assert "<code>M011</code>" in page


def test_escalated_alerts_carry_a_badge(as_role, alerts) -> None:
    alert = alerts["MATERIAL"]
    Alert.objects.filter(pk=alert.pk).update(raised_at=timezone.now() - timedelta(hours=3))
    escalation.escalate_due(now=timezone.now())
    page = as_role("viewer").get("/alerts/").content.decode()
    assert "⇑ escalated" in page
    assert alert.events.filter(kind=EventKind.ESCALATED).exists()


def test_a_live_poll_of_the_inbox_keeps_the_filters(as_role, alerts) -> None:
    fragment = as_role("viewer").get("/alerts/?severity=critical", headers=HX).content.decode()
    assert "<html" not in fragment and 'hx-get="/alerts/?severity=critical"' in fragment
    assert "ZBOZI" not in fragment.split("<tbody>")[1]
