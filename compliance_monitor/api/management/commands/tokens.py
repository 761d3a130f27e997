"""``manage.py tokens …``: create (prints the key once), list, revoke API tokens."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import timezone

from compliance_monitor import cli
from compliance_monitor.accounts.roles import role_of
from compliance_monitor.api import tokens
from compliance_monitor.api.models import ApiToken

User = get_user_model()


class Command(cli.SubcommandCommand):
    help = "API tokens: create, list, revoke."
    explain: ClassVar[cli.Explanations] = {
        User.DoesNotExist: lambda exc, o: f"no user named {o.get('username')!r}",
        ApiToken.DoesNotExist: lambda exc, o: f"no token with prefix {o.get('prefix')!r}",
    }

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = sub.add_parser("create", help="create a token for a user; prints the key once")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for")
        create.add_argument("--expires-days", type=int, help="default: never expires")
        sub.add_parser("list", help="all tokens (never their keys)").add_argument("username", nargs="?")
        sub.add_parser("revoke", help="revoke a token by its prefix").add_argument("prefix")

    def do_create(self, options: dict[str, Any]) -> str:
        user = User.objects.get(username=options["username"])
        now = timezone.now()
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days must be at least 1")
        expires = now + timedelta(days=days) if days else None
        token, key = tokens.create(user, name=options["name"], now=now, expires_at=expires)
        role = role_of(user)
        return (
            f"{key}\n\nToken {token.prefix} for {user.get_username()} (role: {role.group if role else 'none'}). "
            "Store the key now: it is not kept and cannot be shown again."
        )

    def do_list(self, options: dict[str, Any]) -> str:
        found = ApiToken.objects.select_related("user")
        if options["username"]:
            found = found.filter(user__username=options["username"])
        rows = [(t.prefix, t.user, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at) for t in found]
        return cli.table(("prefix", "user", "name", "created", "expires", "last used", "revoked"), rows)

    def do_revoke(self, options: dict[str, Any]) -> str:
        token = tokens.revoke(ApiToken.objects.get(prefix=options["prefix"]), by=self.actor(), now=timezone.now())
        return f"revoked {token.prefix} ({token.name})"
