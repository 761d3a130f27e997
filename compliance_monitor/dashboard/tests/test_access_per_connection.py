"""Access per company in the dashboard: a clerk limited to client A sees A's alerts, runs and messages, not B's."""

from __future__ import annotations

import pytest
from django.test import Client

from compliance_monitor.accounts.tests.two_companies import Installation, installation, message, user
from compliance_monitor.alerts.models import State
from compliance_monitor.notifications.models import InboxMessage, Recipient

HX = {"HX-Request": "true"}


@pytest.fixture
def two(db: None) -> Installation:
    return installation()


def browser(username: str, role: str | None = "viewer", *, connections: tuple[str, ...] = ()) -> Client:
    client = Client()
    client.force_login(user(username, role, connections=connections))
    return client


def rows(page: str) -> str:
    return page.split("<tbody>")[1].split("</tbody>")[0]


def test_a_clerk_limited_to_client_a_lists_a_alerts_only(two: Installation) -> None:
    listed = rows(browser("clerk", connections=("a",)).get("/alerts/").content.decode())
    assert f'data-alert="{two.a.alert.pk}"' in listed
    assert f'data-alert="{two.b.alert.pk}"' not in listed and f'data-alert="{two.wide.pk}"' not in listed


def test_an_unlimited_viewer_lists_every_alert_and_filters_by_company(two: Installation) -> None:
    viewer = browser("viewer")
    page = viewer.get("/alerts/").content.decode()
    assert all(f'data-alert="{alert.pk}"' in rows(page) for alert in (two.a.alert, two.b.alert, two.wide))
    assert '<option value="b">Client b</option>' in page  # the company filter: more than one to choose from
    only_b = rows(viewer.get("/alerts/", {"connection": "b"}).content.decode())
    assert f'data-alert="{two.b.alert.pk}"' in only_b and f'data-alert="{two.a.alert.pk}"' not in only_b


def test_a_clerk_is_offered_no_other_company_to_filter_by(two: Installation) -> None:
    page = browser("clerk", connections=("a",)).get("/alerts/").content.decode()
    assert 'value="b"' not in page


def test_another_clients_alert_page_is_a_404_for_a_limited_user(two: Installation) -> None:
    clerk = browser("clerk", connections=("a",))
    shown = clerk.get(f"/alerts/{two.a.alert.pk}/")
    assert shown.status_code == 200 and 'data-testid="alert-connection">a<' in shown.content.decode()
    assert clerk.get(f"/alerts/{two.b.alert.pk}/").status_code == 404


def test_a_limited_operator_acting_on_another_clients_alert_is_refused(two: Installation) -> None:
    clerk = browser("clerk", "operator", connections=("a",))
    assert clerk.post(f"/alerts/{two.b.alert.pk}/acknowledge", headers=HX).status_code == 404
    assert clerk.post(f"/alerts/{two.b.alert.pk}/resolve", {"notes": "not mine"}).status_code == 404
    two.b.alert.refresh_from_db()
    assert two.b.alert.state == State.OPEN
    assert clerk.post(f"/alerts/{two.a.alert.pk}/acknowledge", headers=HX).status_code == 200


def test_a_manager_of_zbozi_in_a_is_offered_no_action_on_zbozi_in_b(two: Installation) -> None:
    manager = user("manager")
    Recipient.objects.create(name="ZBOZI of a", user=manager, connection=two.a.connection, warehouses=["ZBOZI"])
    client = Client()
    client.force_login(manager)

    listed = rows(client.get("/alerts/").content.decode())
    assert f'data-alert="{two.a.alert.pk}"' in listed and f'data-alert="{two.b.alert.pk}"' not in listed
    assert client.post(f"/alerts/{two.b.alert.pk}/acknowledge", headers=HX).status_code == 404
    assert client.post(f"/alerts/{two.a.alert.pk}/acknowledge", headers=HX).status_code == 200


def test_a_clerk_sees_a_runs_and_gets_404_for_b_runs(two: Installation) -> None:
    clerk = browser("clerk", "operator", connections=("a",))
    assert clerk.get(f"/runs/{two.a.run.pk}/").status_code == 200
    assert clerk.get(f"/runs/{two.b.run.pk}/").status_code == 404
    assert clerk.post(f"/runs/{two.b.run.pk}/cancel").status_code == 404


def test_an_unlimited_viewer_sees_every_clients_runs(two: Installation) -> None:
    assert browser("viewer").get(f"/runs/{two.b.run.pk}/").status_code == 200


def test_a_clerks_inbox_shows_only_messages_of_alerts_they_may_see(two: Installation) -> None:
    clerk_user = user("clerk", "viewer", connections=("a",))
    mine, hidden = message(clerk_user, two.a.alert), message(clerk_user, two.b.alert)
    clerk = Client()
    clerk.force_login(clerk_user)

    page = clerk.get("/notifications/").content.decode()
    assert mine.title in page and hidden.title not in page
    assert 'data-testid="inbox-unread">1 unread' in page
    assert 'aria-label="1 unread"' in clerk.get("/notifications/unread").content.decode()
    assert clerk.post(f"/notifications/{hidden.pk}/read").status_code == 404
    clerk.post("/notifications/read-all")
    assert InboxMessage.objects.get(pk=hidden.pk).read_at is None  # not theirs to see, not marked either
    assert InboxMessage.objects.get(pk=mine.pk).read_at is not None
