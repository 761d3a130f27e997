from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from compliance_monitor.accounts.roles import Role, require, role_of
from compliance_monitor.api import tokens
from compliance_monitor.api.models import ApiToken

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def user(db: None):
    return get_user_model().objects.create_user("olga", "olga@example.com", "pw")


def test_a_key_authenticates_its_user_and_only_a_hash_is_stored(user) -> None:
    token, key = tokens.create(user, name="grafana", now=NOW)

    assert tokens.authenticate(key, now=NOW) == user
    assert key not in {token.key_hash, token.prefix} and token.key_hash == tokens.digest(key)
    assert tokens.authenticate(key + "x", now=NOW) is None


def test_an_expired_or_revoked_token_no_longer_works(user) -> None:
    _, expiring_key = tokens.create(user, name="temp", now=NOW, expires_at=NOW + timedelta(days=1))
    revoked, revoked_key = tokens.create(user, name="old", now=NOW)
    tokens.revoke(revoked, by="admin", now=NOW)

    assert tokens.authenticate(expiring_key, now=NOW + timedelta(hours=23)) == user
    assert tokens.authenticate(expiring_key, now=NOW + timedelta(days=1)) is None
    assert tokens.authenticate(revoked_key, now=NOW) is None


def test_a_deactivated_users_token_no_longer_works(user) -> None:
    _, key = tokens.create(user, name="t", now=NOW)
    user.is_active = False
    user.save()
    assert tokens.authenticate(key, now=NOW) is None


def test_last_use_is_recorded_at_most_once_a_minute(user) -> None:
    token, key = tokens.create(user, name="t", now=NOW)
    tokens.authenticate(key, now=NOW)
    tokens.authenticate(key, now=NOW + timedelta(seconds=30))
    token.refresh_from_db()
    assert token.last_used_at == NOW
    tokens.authenticate(key, now=NOW + timedelta(minutes=2))
    token.refresh_from_db()
    assert token.last_used_at == NOW + timedelta(minutes=2)


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        ([], None),
        (["viewer"], Role.VIEWER),
        (["operator"], Role.OPERATOR),
        (["viewer", "admin"], Role.ADMIN),
    ],
)
def test_the_highest_group_is_the_users_role(user, groups: list[str], role: Role | None) -> None:
    user.groups.set(Group.objects.filter(name__in=groups))
    assert role_of(user) == role


def test_a_superuser_is_an_admin(db: None) -> None:
    assert role_of(get_user_model().objects.create_superuser("root", "", "pw")) == Role.ADMIN


def test_a_missing_role_is_refused_saying_which_is_needed(user) -> None:
    user.groups.set(Group.objects.filter(name="viewer"))
    assert require(user, Role.VIEWER) == Role.VIEWER
    with pytest.raises(PermissionDenied, match="needs the operator role; you have viewer role"):
        require(user, Role.OPERATOR)


def test_the_cli_creates_lists_and_revokes_tokens_without_showing_keys_again(user) -> None:
    out = StringIO()
    call_command("tokens", "create", "olga", "--name", "export", "--expires-days", "30", stdout=out)
    key = out.getvalue().splitlines()[0]
    assert tokens.authenticate(key, now=datetime.now(UTC)) == user

    listing = StringIO()
    call_command("tokens", "list", stdout=listing)
    assert "export" in listing.getvalue() and key not in listing.getvalue()

    prefix = ApiToken.objects.get().prefix
    call_command("tokens", "revoke", prefix, stdout=StringIO())
    assert tokens.authenticate(key, now=datetime.now(UTC)) is None
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("tokens", "create", "nobody", "--name", "x")
