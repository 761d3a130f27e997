"""Access per company in the API: a clerk limited to client A gets A's alerts, runs and messages; B's are 404s."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from compliance_monitor.accounts.tests.two_companies import Installation, installation, message, user
from compliance_monitor.alerts.models import State
from compliance_monitor.api import tokens
from compliance_monitor.api.tests.conftest import Api
from compliance_monitor.checks.models import CheckResult


@pytest.fixture
def two(db: None) -> Installation:
    return installation()


def api(username: str, role: str | None = "viewer", *, connections: tuple[str, ...] = ()) -> Api:
    made = user(username, role, connections=connections)
    caller = Api(tokens.create(made, name="tests", now=timezone.now())[1])
    caller.user = made  # type: ignore[attr-defined]
    return caller


def ids(page: dict[str, Any]) -> set[int]:
    return {item["id"] for item in page["items"]}


def test_a_clerk_limited_to_client_a_lists_a_alerts_only(two: Installation) -> None:
    clerk = api("clerk", connections=("a",))
    assert ids(clerk.call("GET", "/alerts").json()) == {two.a.alert.pk}


def test_an_unlimited_viewer_lists_every_alert(two: Installation) -> None:
    viewer = api("viewer")
    assert ids(viewer.call("GET", "/alerts").json()) == {two.a.alert.pk, two.b.alert.pk, two.wide.pk}


def test_the_alerts_list_filters_by_connection(two: Installation) -> None:
    viewer = api("viewer")
    assert ids(viewer.call("GET", "/alerts?connection=b").json()) == {two.b.alert.pk}
    clerk = api("clerk", connections=("a",))
    assert clerk.call("GET", "/alerts?connection=b").json()["count"] == 0  # B's stay out of reach


def test_another_clients_alert_is_a_404_for_a_limited_user(two: Installation) -> None:
    clerk = api("clerk", connections=("a",))
    assert clerk.call("GET", f"/alerts/{two.a.alert.pk}").status_code == 200
    assert clerk.call("GET", f"/alerts/{two.b.alert.pk}").status_code == 404
    assert clerk.call("GET", f"/alerts/{two.wide.pk}").status_code == 404  # installation-wide


def test_a_limited_operator_acting_on_another_clients_alert_is_refused(two: Installation) -> None:
    clerk = api("clerk", "operator", connections=("a",))
    b = two.b.alert.pk
    assert clerk.call("POST", f"/alerts/{b}/acknowledge").status_code == 404
    assert clerk.call("POST", f"/alerts/{b}/resolve", {"notes": "not mine"}).status_code == 404
    two.b.alert.refresh_from_db()
    assert two.b.alert.state == State.OPEN
    assert clerk.call("POST", f"/alerts/{two.a.alert.pk}/acknowledge").json()["acknowledged_by"] == "clerk"


def test_a_limited_admin_may_not_accept_another_clients_volume_or_clean_up_every_company(two: Installation) -> None:
    clerk = api("clerk", "admin", connections=("a",))
    assert clerk.call("POST", f"/alerts/{two.b.alert.pk}/accept-volume").status_code == 404
    refused = clerk.call("POST", "/alerts/cleanup", {"older_than_days": 30})
    assert refused.status_code == 403 and "spans every company" in refused.json()["detail"]


def test_statistics_count_a_clerks_companies_only_and_break_down_by_connection(two: Installation) -> None:
    everyone = api("viewer").call("GET", "/alerts/statistics").json()
    assert everyone["total"] == 3 and everyone["by_connection"] == {"a": 1, "b": 1}
    assert api("viewer2").call("GET", "/alerts/statistics?connection=b").json()["total"] == 1

    clerk = api("clerk", connections=("a",)).call("GET", "/alerts/statistics").json()
    assert clerk["total"] == 1 and clerk["by_connection"] == {"a": 1}


def test_a_clerk_reads_a_runs_and_gets_404_for_b_runs(two: Installation) -> None:
    clerk = api("clerk", "operator", connections=("a",))
    assert clerk.call("GET", f"/executions/{two.a.run.pk}").json()["job"] == "job-a"
    assert clerk.call("GET", f"/executions/{two.b.run.pk}").status_code == 404
    assert clerk.call("GET", f"/executions/{two.b.run.pk}/evidence").status_code == 404
    assert clerk.call("POST", f"/executions/{two.b.run.pk}/cancel").status_code == 404
    result = CheckResult.objects.create(execution=two.b.run, check_name="diagnostics.pass", connection="b")
    assert clerk.call("GET", f"/executions/{two.b.run.pk}/results/{result.pk}/violations").status_code == 404


def test_an_unlimited_viewer_reads_every_clients_runs(two: Installation) -> None:
    viewer = api("viewer")
    assert viewer.call("GET", f"/executions/{two.b.run.pk}").status_code == 200


def test_a_clerks_inbox_shows_only_messages_of_alerts_they_may_see(two: Installation) -> None:
    clerk = api("clerk", connections=("a",))
    mine, hidden = message(clerk.user, two.a.alert), message(clerk.user, two.b.alert)

    inbox = clerk.call("GET", "/notifications").json()
    assert (inbox["unread"], [m["id"] for m in inbox["items"]]) == (1, [mine.pk])
    assert clerk.call("POST", f"/notifications/{hidden.pk}/read").status_code == 404
    assert clerk.call("POST", f"/notifications/{mine.pk}/read").status_code == 200


def test_the_audit_is_refused_to_a_limited_admin_and_open_to_an_unlimited_one(two: Installation) -> None:
    refused = api("clerk", "admin", connections=("a",)).call("GET", "/audit")
    assert refused.status_code == 403 and "limited to a" in refused.json()["detail"]
    assert api("admin", "admin").call("GET", "/audit?model=access").status_code == 200


def test_metrics_of_a_limited_user_count_only_their_companies(two: Installation) -> None:
    from compliance_monitor.api import metrics

    text = metrics.exposition(frozenset({"a"})).decode()
    assert 'job="job-a"' in text and 'job="job-b"' not in text
    assert 'compliance_open_alerts{severity="critical"} 1.0' in text
    assert 'compliance_open_alerts{severity="critical"} 3.0' in metrics.exposition().decode()
