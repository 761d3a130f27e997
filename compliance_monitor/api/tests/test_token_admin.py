"""Item 10 of issue 10: revoking a token in the admin needs the change permission on tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from compliance_monitor.api import tokens
from compliance_monitor.api.models import ApiToken

CHANGELIST = "/admin/api/apitoken/"


def staff_with(name: str, *codenames: str) -> Client:
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def revoke(client: Client, token: ApiToken) -> ApiToken:
    client.post(CHANGELIST, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    return token


def test_item_10_revoking_a_token_in_the_admin_needs_the_change_permission(db) -> None:
    owner = get_user_model().objects.create_user("olga", "olga@example.com", "pw")
    token, _ = tokens.create(owner, name="grafana", now=timezone.now())
    viewer = staff_with("stefan", "view_apitoken")
    changer = staff_with("carla", "view_apitoken", "change_apitoken")

    assert viewer.get(CHANGELIST).status_code == 200
    assert "Revoke the selected tokens" not in viewer.get(CHANGELIST).content.decode()
    assert revoke(viewer, token).revoked_at is None

    assert "Revoke the selected tokens" in changer.get(CHANGELIST).content.decode()
    revoked = revoke(changer, token)
    assert revoked.revoked_at is not None and revoked.revoked_by == "carla"
