"""Access per company: the rules (``accounts/access.py``), the ``users limit`` command and its audit."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError
from django.http import Http404

from compliance_monitor.accounts import access, audit
from compliance_monitor.accounts.models import ConnectionAccess
from compliance_monitor.accounts.roles import ManagedWarehouse, managed_warehouses
from compliance_monitor.accounts.tests.two_companies import Installation, alert, installation, message, user
from compliance_monitor.erp.models import Connection
from compliance_monitor.notifications.models import Recipient


@pytest.fixture
def two(db: None) -> Installation:
    return installation()


def fresh(username: str) -> object:
    """The user as a new request loads it (nothing cached on the object)."""
    return get_user_model().objects.get(username=username)


def users(*args: str) -> str:
    out = StringIO()
    call_command("users", *args, stdout=out)
    return out.getvalue()


def test_a_user_without_rows_sees_every_connection_and_a_limited_one_only_theirs(two: Installation) -> None:
    everyone = user("everyone", "viewer")
    clerk = user("clerk", "viewer", connections=["a"])

    assert access.visible_connections(everyone) is None
    assert access.visible_connections(clerk) == {"a"}
    assert access.may_see_connection(clerk, "a") and not access.may_see_connection(clerk, "b")
    assert not access.may_see_connection(clerk, "")  # installation-wide: unlimited users only
    assert access.may_see_connection(everyone, "")


def test_a_superuser_sees_every_connection_whatever_rows_say(two: Installation) -> None:
    boss = get_user_model().objects.create_superuser("boss", "", "pw")
    ConnectionAccess.objects.create(user=boss, connection=two.a.connection)
    assert access.visible_connections(fresh("boss")) is None


def test_a_clerk_limited_to_client_a_sees_a_alerts_jobs_and_runs_not_b(two: Installation) -> None:
    clerk = user("clerk", "viewer", connections=["a"])

    assert list(access.visible_alerts(clerk)) == [two.a.alert]
    assert list(access.visible_jobs(clerk)) == [two.a.job]
    assert list(access.visible_executions(clerk)) == [two.a.run]
    assert list(access.visible_connection_rows(clerk)) == [two.a.connection]


def test_an_unlimited_viewer_sees_every_alert_including_installation_wide_ones(two: Installation) -> None:
    viewer = user("viewer", "viewer")
    assert set(access.visible_alerts(viewer)) == {two.a.alert, two.b.alert, two.wide}


def test_another_clients_connection_is_a_404_for_a_limited_user(two: Installation) -> None:
    clerk = user("clerk", "viewer", connections=["a"])
    access.require_connection(clerk, "a")
    with pytest.raises(Http404):
        access.require_connection(clerk, "b")


def test_a_limited_operator_may_not_act_on_another_clients_alert(two: Installation) -> None:
    clerk = user("clerk", "operator", connections=["a"])

    assert access.may_act_on(clerk, two.a.alert) and not access.may_act_on(clerk, two.b.alert)
    assert access.alert_actor(clerk, two.a.alert) == "clerk"
    with pytest.raises(Http404):
        access.alert_actor(clerk, two.b.alert)


def test_a_manager_of_zbozi_in_a_does_not_manage_zbozi_in_b(two: Installation) -> None:
    manager = user("manager")
    Recipient.objects.create(name="ZBOZI of a", user=manager, connection=two.a.connection, warehouses=["ZBOZI"])

    assert managed_warehouses(manager) == {ManagedWarehouse("a", "ZBOZI")}
    assert list(access.visible_alerts(manager)) == [two.a.alert]
    assert access.may_act_on(manager, two.a.alert) and not access.may_act_on(manager, two.b.alert)
    assert access.alert_actor(manager, two.a.alert) == "manager"
    with pytest.raises(Exception, match="manage warehouse ZBOZI \\(b\\)"):
        access.alert_actor(manager, two.b.alert)


def test_a_manager_of_a_code_in_no_company_manages_it_in_every_company(two: Installation) -> None:
    manager = user("manager")
    Recipient.objects.create(name="ZBOZI everywhere", user=manager, warehouses=["ZBOZI"])

    assert set(access.visible_alerts(manager)) == {two.a.alert, two.b.alert}
    assert access.may_act_on(manager, two.b.alert)


def test_a_limited_manager_of_a_code_everywhere_still_sees_only_their_companies(two: Installation) -> None:
    manager = user("manager", connections=["a"])
    Recipient.objects.create(name="ZBOZI everywhere", user=manager, warehouses=["ZBOZI"])

    assert list(access.visible_alerts(manager)) == [two.a.alert]
    assert not access.may_act_on(manager, two.b.alert)


def test_a_manager_sees_only_the_warehouses_they_manage_in_each_company(two: Installation) -> None:
    other = alert("a", two.a.job, warehouse="MATERIAL")
    manager = user("manager")
    Recipient.objects.create(name="a", user=manager, connection=two.a.connection, warehouses=["MATERIAL"])
    Recipient.objects.create(name="b", user=manager, connection=two.b.connection, warehouses=["ZBOZI"])

    assert set(access.visible_alerts(manager)) == {other, two.b.alert}


def test_a_limited_users_inbox_holds_only_messages_of_alerts_in_their_companies(two: Installation) -> None:
    clerk = user("clerk", "viewer", connections=["a"])
    mine = message(clerk, two.a.alert)
    message(clerk, two.b.alert)
    message(clerk, two.wide)
    message(clerk, None)

    assert list(access.visible_inbox(clerk)) == [mine]
    assert access.unread_count(clerk) == 1
    everyone = user("everyone", "viewer")
    message(everyone, two.b.alert)
    assert access.visible_inbox(everyone).count() == 1


def test_what_spans_every_company_is_refused_to_a_limited_user(two: Installation) -> None:
    access.require_every_connection(user("admin", "admin"), "the audit")
    with pytest.raises(Exception, match="the audit spans every company; your access is limited to a"):
        access.require_every_connection(user("clerk", "admin", connections=["a"]), "the audit")


def test_users_limit_sets_replaces_and_lifts_a_limit(two: Installation) -> None:
    user("clerk", "viewer")

    assert users("limit", "clerk", "--connection", "a", "--connection", "b").strip() == "clerk sees a, b"
    assert access.visible_connections(fresh("clerk")) == {"a", "b"}
    assert users("limit", "clerk", "--connection", "b").strip() == "clerk sees b"
    assert access.visible_connections(fresh("clerk")) == {"b"}
    assert users("list").splitlines()[1].split() == ["clerk", "yes", "viewer", "b"]
    assert users("limit", "clerk", "--all").strip() == "clerk sees every company"
    assert access.visible_connections(fresh("clerk")) is None


def test_users_limit_refuses_unknown_connections_unknown_users_and_superusers(two: Installation) -> None:
    user("clerk", "viewer")
    get_user_model().objects.create_superuser("boss", "", "pw")

    with pytest.raises(CommandError, match="no connection named 'ghost'"):
        users("limit", "clerk", "--connection", "a", "--connection", "ghost")
    assert access.visible_connections(fresh("clerk")) is None  # nothing half done
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        users("limit", "nobody", "--all")
    with pytest.raises(CommandError, match="boss is a superuser and sees every company"):
        users("limit", "boss", "--connection", "a")
    with pytest.raises(CommandError):
        users("limit", "clerk")  # --connection or --all is required


def test_limiting_a_user_is_in_the_configuration_audit_under_the_caller(two: Installation) -> None:
    user("clerk", "viewer")
    users("limit", "clerk", "--connection", "a", "--connection", "b")
    users("limit", "clerk", "--all")

    trail = list(audit.entries(model="access", name="clerk"))
    assert [(e["action"], e["object"]) for e in trail] == [
        ("delete", "clerk → b"),
        ("delete", "clerk → a"),
        ("create", "clerk → b"),
        ("create", "clerk → a"),
    ]
    assert all(e["who"].startswith("cli:") for e in trail)


def test_a_connection_someone_is_limited_to_cannot_be_deleted_it_would_widen_them(two: Installation) -> None:
    clerk = user("clerk", "viewer", connections=["a"])
    spare = Connection.objects.create(name="spare", company="spare", base_url="http://127.0.0.1:1")
    ConnectionAccess.objects.create(user=clerk, connection=spare)

    with pytest.raises(ProtectedError):
        spare.delete()
    assert access.visible_connections(fresh("clerk")) == {"a", "spare"}


def test_the_admins_user_page_edits_the_companies_a_user_is_limited_to(two: Installation) -> None:
    from django.test import Client

    clerk = user("clerk", "viewer", connections=["a"])
    browser = Client()
    browser.force_login(get_user_model().objects.create_superuser("boss", "", "pw"))

    page = browser.get(f"/admin/auth/user/{clerk.pk}/change/").content.decode()
    assert "Access per company" in page and "connection_access-0-connection" in page
