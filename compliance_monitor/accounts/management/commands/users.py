"""``manage.py users …``: who holds which role, and access per company (``limit``).

``users limit clerk --connection client-a --connection client-b`` limits clerk to those companies (replacing any
earlier limit); ``users limit clerk --all`` lifts it. Each change is in the configuration audit, under the caller.
"""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

from django.contrib.auth import get_user_model

from compliance_monitor import cli
from compliance_monitor.accounts import access
from compliance_monitor.accounts.roles import role_of

User = get_user_model()


def companies(limit: frozenset[str] | None) -> str:
    return "every company" if limit is None else ", ".join(sorted(limit))


class Command(cli.SubcommandCommand):
    help = "Users: their roles and the companies (ERP connections) they may see."
    explain: ClassVar[cli.Explanations] = {
        User.DoesNotExist: lambda exc, o: f"no user named {o.get('username')!r}",
    }

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        shown = sub.add_parser("list", help="every user with their role and companies")
        shown.add_argument("--json", action="store_true")
        limit = sub.add_parser("limit", help="limit a user to some companies (--connection …), or lift it (--all)")
        limit.add_argument("username")
        which = limit.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--connection", action="append", metavar="NAME", help="a connection the user may see (repeat for more)"
        )
        which.add_argument("--all", action="store_true", help="no limit: every company")

    def do_list(self, options: dict[str, Any]) -> str:
        users = [(user, role_of(user), access.visible_connections(user)) for user in User.objects.order_by("pk")]
        if options["json"]:
            return cli.dumps(
                [
                    {
                        "username": user.get_username(),
                        "active": user.is_active,
                        "role": role.group if role else None,
                        "connections": None if limit is None else sorted(limit),  # null: every company
                    }
                    for user, role, limit in users
                ]
            )
        rows = [(u.get_username(), u.is_active, r.group if r else None, companies(limit)) for u, r, limit in users]
        return cli.table(("user", "active", "role", "companies"), rows)

    def do_limit(self, options: dict[str, Any]) -> str:
        user = User.objects.get(**{User.USERNAME_FIELD: options["username"]})
        limit = access.limit_user(user, None if options["all"] else options["connection"])
        return f"{user.get_username()} sees {companies(limit)}"
