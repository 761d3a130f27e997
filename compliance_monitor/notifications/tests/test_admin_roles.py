"""Item 10 of issue 10: who may do what in the Django admin — inboxes stay private, the admin role manages
recipients and maintenance windows (granted by a data migration, tested from the schema before it)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from compliance_monitor.notifications.models import InboxMessage, MaintenanceWindow, Recipient

BEFORE = [("notifications", "0001_initial")]


def staff_with(*codenames: str) -> Client:
    user = get_user_model().objects.create_user("stefan", "stefan@example.com", "pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_item_10_staff_who_may_view_inboxes_see_only_their_own_messages_a_superuser_all(
    db, admin_client: Client
) -> None:
    client = staff_with("view_inboxmessage")
    other = get_user_model().objects.create_user("olga", "olga@example.com", "pw")
    own = InboxMessage.objects.create(
        user=get_user_model().objects.get(username="stefan"), title="mine", body="", created_at=timezone.now()
    )
    theirs = InboxMessage.objects.create(user=other, title="olga's private", body="", created_at=timezone.now())

    listing = client.get("/admin/notifications/inboxmessage/").content.decode()

    assert "mine" in listing and "olga&#x27;s private" not in listing
    assert client.get(f"/admin/notifications/inboxmessage/{own.pk}/change/").status_code == 200
    assert client.get(f"/admin/notifications/inboxmessage/{theirs.pk}/change/").status_code == 302  # "doesn't exist"
    assert "olga&#x27;s private" in admin_client.get("/admin/notifications/inboxmessage/").content.decode()


def migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)  # schema changes on SQLite: outside a test transaction
def test_item_10_the_migration_lets_the_admin_role_manage_recipients_and_windows_in_the_admin() -> None:
    migrate(BEFORE)
    # A fresh database has no permissions yet when migrations run (Django adds them after): neither here.
    Permission.objects.filter(content_type__app_label="notifications").delete()
    ada = get_user_model().objects.create_user("ada", "ada@example.com", "pw")  # admin role, not staff
    ada.groups.add(Group.objects.get_or_create(name="admin")[0])  # a flush by an earlier transactional test

    migrate()

    ada.refresh_from_db()
    granted = set(Group.objects.get(name="admin").permissions.values_list("codename", flat=True))
    assert ada.is_staff
    assert {
        f"{a}_{m}" for a in ("add", "change", "delete", "view") for m in ("recipient", "maintenancewindow")
    } <= granted
    assert {"view_delivery", "view_apitoken", "change_apitoken"} <= granted
    assert "change_delivery" not in granted and "view_inboxmessage" not in granted
    client = Client()
    client.force_login(ada)
    created = client.post(
        "/admin/notifications/recipient/add/",
        {"name": "Stores team", "email": "stores@example.com", "warehouses": '["MATERIAL"]', "active": "on"}
        | {"high_policy": "immediate", "medium_policy": "digest", "low_policy": "digest"}  # the form's initial values
        | {"digest_cadence": "hourly", "digest_time": "08:00"},
    )
    window = client.post(
        "/admin/notifications/maintenancewindow/add/",
        {
            "warehouse": "MATERIAL",
            "starts_at_0": "2026-06-01",
            "starts_at_1": "08:00:00",
            "ends_at_0": "2026-06-01",
            "ends_at_1": "10:00:00",
            "reason": "stock-taking",
        },
    )
    assert created.status_code == 302 and Recipient.objects.filter(name="Stores team").exists()
    assert window.status_code == 302 and MaintenanceWindow.objects.filter(reason="stock-taking").exists()
    assert client.get("/admin/notifications/delivery/").status_code == 200


def test_item_10_a_user_given_the_admin_role_later_can_open_the_admin(db: None) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    later = get_user_model().objects.create_user("newadmin", "new@example.com", "pw")
    later.groups.add(Group.objects.get(name="admin"))
    client = Client()
    client.force_login(later)

    assert client.get("/admin/notifications/recipient/").status_code == 200
    viewer = get_user_model().objects.create_user("viewer2", "v@example.com", "pw")
    Group.objects.get(name="admin").user_set.add(viewer)  # from the group's side too
    viewer.refresh_from_db()
    assert viewer.is_staff
