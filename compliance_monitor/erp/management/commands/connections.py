"""``manage.py connections …``: ERP connections on the command line. The password is never an argument."""

from __future__ import annotations

import argparse
import getpass
import os
from datetime import datetime
from typing import Any, ClassVar

from django.core.management.base import CommandError
from django.utils import timezone

from compliance_monitor import cli
from compliance_monitor.erp import catalog, change_feed, connections, feed_hooks, probe
from compliance_monitor.erp.flexi import ErpError
from compliance_monitor.erp.models import Connection

EXIT_FAILED = 2
prompt = getpass.getpass  # a module attribute, so tests can answer the prompt


class Command(cli.SubcommandCommand):
    explain: ClassVar[cli.Explanations] = {
        Connection.DoesNotExist: lambda exc, o: f"no connection named {o.get('name')!r} (see `connections list`)",
        connections.ConnectionExistsError: lambda exc, o: str(exc),
        connections.ConnectionInUseError: lambda exc, o: str(exc),
        catalog.CatalogRefreshError: lambda exc, o: f"cannot read the catalog of {o.get('name')!r}: {exc}",
        change_feed.FeedModeError: lambda exc, o: str(exc),
        ErpError: lambda exc, o: f"the ERP of {o.get('name')!r} refused: {exc}",
    }
    help = "ERP connections: list, add, test, catalog, feed, hook, remove."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("list", help="every connection with its last test").add_argument("--json", action="store_true")
        # No abbreviations: `--password SECRET` must be an error, not taken for `--password-env`.
        add = sub.add_parser(
            "add", help="add a connection (password from --password-env or a prompt)", allow_abbrev=False
        )
        add.add_argument("name")
        add.add_argument("--url", required=True, help="e.g. https://erp.example.com:5434")
        add.add_argument("--company", required=True, help="the company id in /c/<id>/")
        add.add_argument("--user", default="", help="the API user")
        add.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
        add.add_argument("--title", default="")
        add.add_argument("--no-verify-tls", action="store_true", help="accept any certificate (self-signed)")
        add.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS")
        add.add_argument("--page-size", type=int, default=1000)
        add.add_argument("--notes", default="")
        test = sub.add_parser("test", help="test a connection step by step; exit 0 ok, 2 failed")
        test.add_argument("name")
        test.add_argument("--json", action="store_true")
        shown = sub.add_parser("catalog", help="the warehouses, goods groups and product types of a connection's ERP")
        shown.add_argument("name")
        shown.add_argument("--refresh", action="store_true", help="read them from the ERP first")
        shown.add_argument("--json", action="store_true")
        sub.add_parser("remove", help="remove a connection no job uses").add_argument("name")
        feed = sub.add_parser("feed", help="show the change feed of a connection, or switch it with --mode")
        feed.add_argument("name")
        feed.add_argument("--mode", choices=change_feed.MODES, help="off | poll | hook")
        hook = sub.add_parser("hook", help="the ERP's web hook to this installation: register, status, remove")
        hooks = hook.add_subparsers(dest="hook_action", required=True, metavar="HOOK_ACTION")
        register = hooks.add_parser("register", help="register the hook on the ERP (switches the feed to hook)")
        register.add_argument("name")
        register.add_argument("--url", required=True, help="this installation's address the ERP can reach")
        register.add_argument(
            "--rotate-secret", action="store_true", help="a new secret in the hook's URL; the old URL stops working"
        )
        hooks.add_parser("status", help="the hooks the ERP has for this installation").add_argument("name")
        hooks.add_parser("remove", help="remove this installation's hooks from the ERP").add_argument("name")

    def do_list(self, options: dict[str, Any]) -> str:
        rows = list(Connection.objects.all())
        if options["json"]:
            return cli.dumps([summary(connection) for connection in rows])
        headers = ("name", "title", "url", "company", "user", "password", "enabled", "last test", "tested at")
        return cli.table(headers, [tuple(summary(c).values()) for c in rows])

    def do_add(self, options: dict[str, Any]) -> str:
        connection = connections.create_connection(
            now=timezone.now(),
            name=options["name"],
            title=options["title"],
            base_url=options["url"],
            company=options["company"],
            username=options["user"],
            password=self._password(options),
            verify_tls=not options["no_verify_tls"],
            timeout_seconds=options["timeout"],
            page_size=options["page_size"],
            notes=options["notes"],
        )
        return f"added {connection.name} ({connection.base_url}, company {connection.company}); test it: " + (
            f"`manage.py connections test {connection.name}`"
        )

    @staticmethod
    def _password(options: dict[str, Any]) -> str:
        variable = options["password_env"]
        if variable is None:
            return str(prompt(f"Password of {options['user'] or 'the API user'} (empty: none): "))
        if variable not in os.environ:
            raise CommandError("the environment variable named by --password-env is not set")
        return os.environ[variable]

    def do_test(self, options: dict[str, Any]) -> str:
        result = probe.test_connection(Connection.objects.get(name=options["name"]), now=timezone.now())
        report = cli.dumps(result.as_json()) if options["json"] else steps_report(result)
        if result.ok:
            return report
        self.stdout.write(report)
        raise CommandError(f"connection {options['name']!r} does not work", returncode=EXIT_FAILED)

    def do_catalog(self, options: dict[str, Any]) -> str:
        connection = Connection.objects.get(name=options["name"])
        if options["refresh"]:
            catalog.refresh(connection, now=timezone.now())
        shown = catalog.as_json(catalog.catalog_of(connection))
        return cli.dumps(shown) if options["json"] else catalog_report(connection, shown)

    def do_remove(self, options: dict[str, Any]) -> str:
        connections.delete_connection(Connection.objects.get(name=options["name"]))
        return f"removed {options['name']}"

    def do_feed(self, options: dict[str, Any]) -> str:
        connection = Connection.objects.get(name=options["name"])
        if options["mode"]:
            change_feed.set_mode(connection, options["mode"], now=timezone.now())
        return feed_report(connection)

    def do_hook(self, options: dict[str, Any]) -> str:
        connection, now = Connection.objects.get(name=options["name"]), timezone.now()
        action = options["hook_action"]
        if action == "register":
            url = options["url"].rstrip("/")
            if not url.startswith(("http://", "https://")):
                raise CommandError("--url: give this installation's http(s) address, e.g. https://monitor.example.com")
            feed_hooks.register(connection, url, rotate=options["rotate_secret"], now=now)
            done = "registered the web hook" + (" with a new secret" if options["rotate_secret"] else "")
            return f"{done} of {connection.name}: {url}{change_feed.hook_path(connection, '…')}"
        if action == "status":
            ours = feed_hooks.our_hooks(connection, now=now)
            listed = [f"hook {h['id']}: {_masked(h['url'])}" for h in ours] or ["no hook of this installation"]
            return "\n".join([*listed, feed_report(connection)])
        return f"removed {feed_hooks.remove(connection, now=now)} hook(s) of {connection.name} from the ERP"


def _masked(url: str) -> str:
    """The hook's URL with its secret hidden (the last path segment)."""
    head, _, _ = url.rpartition("/")
    return f"{head}/…"


def feed_report(connection: Connection) -> str:
    feed, now = change_feed.feed_view(connection), timezone.now()
    lag = feed.lag_seconds(now)
    lines = [
        f"change feed of {connection.name}: {feed.mode}",
        f"cursor {feed.cursor if feed.cursor is not None else '-'} of {feed.global_version or '-'}"
        + (f", lag {feed.lag_versions()} version(s), {lag:.0f} s" if lag is not None else ""),
        f"last change: {_time(feed.last_change_at) if feed.last_change_at else 'none yet'}"
        + (f" ({feed.changes_received} received)" if feed.changes_received else ""),
    ]
    lines += [f"warning: {feed.warning}"] if feed.warning else []
    lines += [f"last error at {_time(feed.last_error_at)}: {feed.last_error}"] if feed.last_error else []
    return "\n".join(lines)


def summary(connection: Connection) -> dict[str, Any]:
    result = connection.last_test_result
    return {
        "name": connection.name,
        "title": connection.title,
        "url": "(built-in demo)" if connection.is_demo else connection.base_url,
        "company": connection.company,
        "user": connection.username,
        "password": "set" if connection.has_password else "none",
        "enabled": connection.enabled,
        "last_test": None if result is None else ("ok" if result.get("ok") else "failed"),
        "tested_at": connection.last_tested_at,
    }


def steps_report(result: probe.ProbeResult) -> str:
    lines = [f"{'✓' if step.ok else '✗'} {step.name:<13} {step.detail} ({step.seconds:.3f} s)" for step in result.steps]
    return "\n".join([*lines, "ok" if result.ok else "FAILED"])


def catalog_report(connection: Connection, shown: dict[str, Any]) -> str:
    """The refresh time, the latest error and warnings, then one table per list."""
    read = shown["refreshed_at"]
    when = f"read at {_time(read)}" if read else f"not read yet: `connections catalog {connection.name} --refresh`"
    lines = [f"catalog of {connection.name} (company {connection.company}), {when}"]
    if shown["error"]:
        lines.append(f"the latest refresh failed at {_time(shown['error_at'])}: {shown['error']}")
    lines += [f"warning: {warning}" for warning in shown["warnings"]]
    for title, key, headers in (
        ("warehouses", "warehouses", ("id", "code", "name")),
        ("goods groups", "goods_groups", ("id", "code", "name")),
        ("product types", "product_types", ("code", "name")),
    ):
        rows = [tuple(entry[header] for header in headers) for entry in shown[key]]
        lines += ["", f"{title} ({len(rows)})", cli.table(headers, rows)]
    return "\n".join(lines)


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z") if value else "-"
