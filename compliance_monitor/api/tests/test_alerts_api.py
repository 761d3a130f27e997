from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from compliance_monitor.alerts.models import Alert, State
from compliance_monitor.api import tokens
from compliance_monitor.api.tests.conftest import Api
from compliance_monitor.notifications.models import InboxMessage, Recipient

RANK = {"anonymous": 0, "viewer": 1, "operator": 2, "admin": 3}


@pytest.fixture
def alerts(db: None) -> dict[str, Alert]:
    now = timezone.now()

    def alert(warehouse: str, severity: int, **fields: object) -> Alert:
        return Alert.objects.create(
            type="compliance_violation",
            severity=severity,
            warehouse=warehouse,
            fingerprint=f"compliance_violation:c:{warehouse}",
            title=f"problem in {warehouse}",
            raised_at=now,
            last_seen_at=now,
            violation_count=severity * 3,
            **fields,
        )

    return {"material": alert("MATERIAL", 4), "zbozi": alert("ZBOZI", 2)}


ENDPOINTS = [
    ("GET", "/alerts", None, "viewer", 200),
    ("GET", "/alerts/statistics", None, "viewer", 200),
    ("GET", "/alerts/{id}", None, "viewer", 200),
    ("POST", "/alerts/{id}/acknowledge", None, "operator", 200),
    ("POST", "/alerts/{id}/resolve", {"notes": "moved"}, "operator", 200),
    ("POST", "/alerts/cleanup", {"older_than_days": 30}, "admin", 200),
]


@pytest.mark.parametrize(("method", "path", "body", "needs", "ok"), ENDPOINTS)
@pytest.mark.parametrize("role", list(RANK))
def test_every_alert_endpoint_answers_each_role_as_it_should(as_role, alerts, role, method, path, body, needs, ok):
    response = as_role(role).call(method, path.format(id=alerts["material"].pk), body)
    if role == "anonymous":
        assert response.status_code == 401
    elif RANK[role] < RANK[needs]:
        assert response.status_code == 403 and f"needs the {needs} role" in response.json()["detail"]
    else:
        assert response.status_code == ok, response.content


def test_alerts_are_paginated_and_filtered(as_role, alerts) -> None:
    viewer = as_role("viewer")
    page = viewer.call("GET", "/alerts").json()
    assert page["count"] == 2 and [a["warehouse"] for a in page["items"]] == ["MATERIAL", "ZBOZI"]
    assert page["items"][0]["severity"] == "critical" and page["items"][0]["needs_acknowledgement"]
    assert viewer.call("GET", "/alerts?min_severity=high").json()["count"] == 1
    assert viewer.call("GET", "/alerts?warehouse=ZBOZI").json()["items"][0]["severity"] == "medium"
    assert viewer.call("GET", "/alerts?state=resolved").json()["count"] == 0
    assert viewer.call("GET", "/alerts?min_severity=extreme").status_code == 422


def test_acknowledge_and_resolve_record_the_caller(as_role, alerts) -> None:
    operator = as_role("operator")
    alert = alerts["material"]
    assert operator.call("POST", f"/alerts/{alert.pk}/acknowledge").json()["acknowledged_by"] == "operator-user"
    assert operator.call("POST", f"/alerts/{alert.pk}/acknowledge").status_code == 409  # already acknowledged
    assert operator.call("POST", f"/alerts/{alert.pk}/resolve", {"notes": ""}).status_code == 422
    resolved = operator.call("POST", f"/alerts/{alert.pk}/resolve", {"notes": "moved", "resolved_by": "x"}).json()
    assert (resolved["state"], resolved["resolved_by"], resolved["resolution_notes"]) == (
        "resolved",
        "operator-user",
        "moved",
    )
    assert operator.call("POST", f"/alerts/{alert.pk}/resolve", {"notes": "again"}).status_code == 409
    history = operator.call("GET", f"/alerts/{alert.pk}").json()["events"]
    assert [e["kind"] for e in history] == ["acknowledged", "resolved"]


def test_a_warehouse_manager_sees_and_acts_on_only_their_warehouses_alerts(alerts) -> None:
    user = get_user_model().objects.create_user("marta", "", "pw")  # no role at all
    Recipient.objects.create(name="Marta", user=user, warehouses=["MATERIAL"])
    manager = Api(tokens.create(user, name="t", now=timezone.now())[1])

    listed = manager.call("GET", "/alerts").json()
    assert [a["warehouse"] for a in listed["items"]] == ["MATERIAL"]
    assert manager.call("POST", f"/alerts/{alerts['material'].pk}/acknowledge").json()["acknowledged_by"] == "marta"
    assert manager.call("GET", f"/alerts/{alerts['zbozi'].pk}").status_code == 404
    assert manager.call("GET", "/jobs").status_code == 403


def test_unknown_alerts_are_404(as_role, alerts) -> None:
    assert as_role("viewer").call("GET", "/alerts/999999").status_code == 404


def test_cleanup_deletes_only_old_resolved_alerts(as_role, alerts) -> None:
    old = alerts["zbozi"]
    Alert.objects.filter(pk=old.pk).update(state=State.RESOLVED, resolved_at=timezone.now() - timedelta(days=40))
    admin = as_role("admin")
    assert admin.call("POST", "/alerts/cleanup", {"older_than_days": 30}).json() == {"deleted": 1}
    assert admin.call("POST", "/alerts/cleanup", {"older_than_days": 0}).status_code == 422
    assert admin.call("POST", "/alerts/cleanup", {"older_than_days": True}).status_code == 422  # not a number
    assert list(Alert.objects.values_list("warehouse", flat=True)) == ["MATERIAL"]


def test_my_inbox_shows_my_messages_and_unread_count(as_role, alerts) -> None:
    operator = as_role("operator")
    user = get_user_model().objects.get(username="operator-user")
    stranger = get_user_model().objects.create_user("eve", "", "pw")
    mine = InboxMessage.objects.create(
        user=user, alert=alerts["material"], title="t", body="b", created_at=timezone.now()
    )
    theirs = InboxMessage.objects.create(user=stranger, title="x", body="y", created_at=timezone.now())

    inbox = operator.call("GET", "/notifications").json()
    assert inbox["unread"] == 1 and [m["id"] for m in inbox["items"]] == [mine.pk]
    assert operator.call("POST", f"/notifications/{mine.pk}/read").json()["read_at"]
    assert operator.call("GET", "/notifications").json()["unread"] == 0
    assert operator.call("POST", f"/notifications/{theirs.pk}/read").status_code == 404
    assert as_role("anonymous").call("GET", "/notifications").status_code == 401


def test_a_viewer_marks_their_own_messages_read(as_role) -> None:
    viewer = as_role("viewer")
    user = get_user_model().objects.get(username="viewer-user")
    mine = InboxMessage.objects.create(user=user, title="t", body="b", created_at=timezone.now())
    assert viewer.call("POST", f"/notifications/{mine.pk}/read").status_code == 200
    assert viewer.call("GET", "/notifications").json()["unread"] == 0


def test_statistics_take_iso_dates_and_refuse_anything_else(as_role, alerts) -> None:
    viewer = as_role("viewer")
    assert viewer.call("GET", "/alerts/statistics?from=2000-01-01&to=2100-01-01").json()["total"] == 2
    assert viewer.call("GET", "/alerts/statistics?to=0.5").status_code == 422
    old = viewer.call("GET", "/alerts/statistics?from=1761-06-16").json()
    assert old["period_start"].startswith("1761-06-16T00:00:00") and old["period_start"].endswith(("Z", "+00:00"))
    assert viewer.call("GET", "/alerts/statistics?from=2026-13-45").status_code == 422
    assert viewer.call("GET", "/alerts/statistics?from=2100-01-01&to=2000-01-01").status_code == 422


def finish_run(job, outcome, hours: int):
    from compliance_monitor.alerts import raising
    from compliance_monitor.jobs import lifecycle
    from compliance_monitor.jobs.lifecycle import Result
    from compliance_monitor.jobs.models import Execution, Status

    now = timezone.now() - timedelta(hours=hours)
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=now)
    lifecycle.claim(execution.pk, worker="w1", now=now)
    lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, (outcome,)), now=now)
    raising.process_execution(execution.pk, now=now)
    return execution


def test_item_3_an_admin_accepts_a_collapsed_volume_through_the_api_and_results_say_so(as_role, job) -> None:
    from compliance_monitor.alerts.raising import volume_fingerprint
    from compliance_monitor.checks.base import CheckOutcome
    from compliance_monitor.checks.models import CheckResult

    def read(rows: int) -> CheckOutcome:
        return CheckOutcome(
            "warehouse.product_types", "ZBOZI", rows_read=rows, volume_guard=True, rows_label="stock rows"
        )

    finish_run(job, read(4000), hours=2)
    collapsed = finish_run(job, read(0), hours=1)
    guard = Alert.objects.get(fingerprint=volume_fingerprint("demo", "warehouse.product_types", "ZBOZI"))
    detail = as_role("viewer").call("GET", f"/executions/{collapsed.pk}").json()
    assert detail["check_results"][0]["volume_note"] == "ZBOZI returned 0 stock rows, usually about 4,000"
    assert detail["check_results"][0]["rows_read"] == 0 and detail["check_results"][0]["is_current"] is True

    assert as_role("operator").call("POST", f"/alerts/{guard.pk}/accept-volume").status_code == 403
    admin = as_role("admin")
    accepted = admin.call("POST", f"/alerts/{guard.pk}/accept-volume")
    assert accepted.status_code == 200 and accepted.json()["state"] == "resolved"
    assert CheckResult.objects.get(execution=collapsed).volume_accepted_by == "admin-user"
    assert admin.call("POST", f"/alerts/{guard.pk}/accept-volume").status_code == 409
