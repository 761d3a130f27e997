"""Issue 16, item 3 in the dashboard: on an alert's page an operator (or the warehouse's manager) accepts one of its
violations with a reason until a date; the next run lists it as accepted on the run page and the alert counts one
fewer; revoking makes it count again. A viewer sees exceptions but is refused. Shown failing with the accept view's
``alert_actor`` replaced by the caller's name (the viewer's exception is stored)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from compliance_monitor.alerts.models import Alert
from compliance_monitor.checks.models import AcceptedException
from compliance_monitor.dashboard.tests.conftest import outcome


def until(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_an_operator_accepts_a_violation_on_the_alert_page_and_the_next_run_lists_it_as_accepted(
    as_role, finished_run
) -> None:
    finished_run(outcome("ZBOZI", "Z001", "Z002"), ago=timedelta(hours=1))
    alert = Alert.objects.get(warehouse="ZBOZI")
    page = as_role("operator").get(f"/alerts/{alert.pk}/").content.decode()
    assert 'data-testid="accept-exception-form"' in page

    form = {"identity": "Z002", "reason": "kept here for the <season>", "until": until(30)}
    response = as_role("operator").post(f"/alerts/{alert.pk}/exceptions", form)

    assert response.status_code == 302
    exception = AcceptedException.objects.get()
    assert (exception.identity, exception.created_by, exception.warehouse) == ("Z002", "operator-user", "ZBOZI")
    assert timezone.localtime(exception.expires_at).date() == timezone.localdate() + timedelta(days=31)  # end of day
    shown = as_role("viewer").get(f"/alerts/{alert.pk}/").content.decode()
    assert 'data-testid="exception"' in shown and "kept here for the &lt;season&gt;" in shown  # escaped

    run = finished_run(outcome("ZBOZI", "Z001", "Z002"))
    alert.refresh_from_db()
    assert alert.violation_count == 1
    run_page = as_role("viewer").get(f"/runs/{run.pk}/").content.decode()
    assert 'data-testid="accepted"' in run_page and "Z002" in run_page

    revoked = as_role("operator").post(f"/alerts/{alert.pk}/exceptions/{exception.pk}/revoke")
    assert revoked.status_code == 302
    finished_run(outcome("ZBOZI", "Z001", "Z002"), ago=timedelta(seconds=-5))
    alert.refresh_from_db()
    assert alert.violation_count == 2


def test_a_viewer_is_refused_and_a_bad_form_names_the_field(as_role, finished_run) -> None:
    finished_run(outcome("ZBOZI", "Z001"))
    alert = Alert.objects.get(warehouse="ZBOZI")
    assert 'data-testid="accept-exception-form"' not in as_role("viewer").get(f"/alerts/{alert.pk}/").content.decode()

    form = {"identity": "Z001", "reason": "season", "until": until(30)}
    refused = as_role("viewer").post(f"/alerts/{alert.pk}/exceptions", form, follow=True)
    assert "operator" in refused.content.decode()
    late = as_role("operator").post(f"/alerts/{alert.pk}/exceptions", {**form, "until": until(-2)}, follow=True)
    assert "expires_at: must be in the future" in late.content.decode()
    blank = as_role("operator").post(f"/alerts/{alert.pk}/exceptions", {**form, "reason": ""}, follow=True)
    assert "reason: This field is required." in blank.content.decode()
    assert not AcceptedException.objects.exists()


def test_the_warehouses_manager_may_not_waive_their_own_violations_but_may_revoke(
    manager, as_role, finished_run
) -> None:
    """An operator accepts; the manager of the warehouse is refused (and offered no form), but may revoke, which
    only makes the violation count again. Shown failing with ``_operator`` returning ``alert_actor``'s name."""
    finished_run(outcome("MATERIAL", "M001"))
    alert = Alert.objects.get(warehouse="MATERIAL")
    form = {"identity": "M001", "reason": "season", "until": until(10)}
    assert 'data-testid="accept-exception-form"' not in manager.get(f"/alerts/{alert.pk}/").content.decode()
    refused = manager.post(f"/alerts/{alert.pk}/exceptions", form, follow=True)
    assert "operator" in refused.content.decode() and not AcceptedException.objects.exists()

    assert as_role("operator").post(f"/alerts/{alert.pk}/exceptions", form).status_code == 302
    exception = AcceptedException.objects.get()
    assert 'data-testid="revoke-exception"' in manager.get(f"/alerts/{alert.pk}/").content.decode()
    assert manager.post(f"/alerts/{alert.pk}/exceptions/{exception.pk}/revoke").status_code == 302
    exception.refresh_from_db()
    assert exception.revoked_by == "manager"
