"""``manage.py checks …``: run the compliance checks once, synchronously, for cron or CI.

(``manage.py check`` is Django's own system-check command, hence the plural.)

Exit status of ``checks run``: 0 no violations, 1 violations found, 2 the checks could not run.
"""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from compliance_monitor import cli
from compliance_monitor.checks import registry
from compliance_monitor.checks.base import CheckContext, CheckOutcome
from compliance_monitor.checks.management import as_code
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp.connections import implied_connection
from compliance_monitor.erp.flexi import ErpError
from compliance_monitor.erp.models import Connection

FIRST_OFFENDERS = 3
EXIT_VIOLATIONS, EXIT_ERROR = 1, 2


class Command(BaseCommand):
    help = "Run compliance checks once and print what they find (exit 1 when violations are found)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        run = sub.add_parser("run", help="run checks now, in this process")
        run.add_argument("--check", action="append", default=[], help=f"check name (default {CHECK_NAME})")
        run.add_argument("--warehouse", action="append", default=[], metavar="CODE")
        run.add_argument("--date", help="stock date YYYY-MM-DD (default today)")
        run.add_argument("--json", action="store_true")
        run.add_argument("--connection", help="the ERP connection to read (default: the installation's default)")
        sub.add_parser("rules", help="the configured warehouse rules")
        sub.add_parser("list", help="registered check names")
        for action, text in (
            ("export", "write one YAML file per check definition into DIR"),
            ("import", "validate every YAML file in DIR, then apply all of them (or nothing)"),
            ("validate", "validate every YAML file in DIR (for your own CI); changes nothing"),
        ):
            sub.add_parser(action, help=text).add_argument("directory", metavar="DIR", type=Path)
        preview = sub.add_parser("preview", help="evaluate a check definition now; store nothing")
        preview.add_argument("name")
        preview.add_argument("--connection", help="the ERP connection to read (default: the definition's first)")
        preview.add_argument("--json", action="store_true")
        sub.add_parser("library", help="install the shipped rule library's definitions not installed yet")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action in ("export", "import", "validate", "preview", "library"):
            self.stdout.write(as_code.handle(action, options))
        elif action == "list":
            self.stdout.write("\n".join(registry.names()))
        elif action == "rules":
            rows = [
                (
                    r.connection.name,
                    r.warehouse_code,
                    r.warehouse_id,
                    r.classify_by,
                    ", ".join(map(str, r.allowed)),
                    r.enabled,
                    r.report_name,
                )
                for r in WarehouseRule.objects.select_related("connection")
            ]
            self.stdout.write(
                cli.table(("connection", "warehouse", "id", "classify by", "allowed", "enabled", "report"), rows)
            )
        else:
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        outcomes = self._evaluate(options)
        if options["json"]:
            self.stdout.write(cli.dumps([outcome_json(o) for o in outcomes]))
        else:
            self.stdout.write(outcome_table(outcomes))
        incomplete = [o for o in outcomes if o.error]
        if incomplete:
            reasons = "; ".join(o.error for o in incomplete)
            raise CommandError(
                f"{len(incomplete)} of {len(outcomes)} reports incomplete — {reasons}", returncode=EXIT_ERROR
            )
        empty = [o.warehouse for o in outcomes if o.volume_guard and o.rows_read == 0]
        if empty:  # no history here to judge by: an empty warehouse is suspect, never an all-clear
            raise CommandError(f"read 0 rows of {', '.join(empty)}: suspect, not an all-clear", returncode=EXIT_ERROR)
        violated = sum(not o.is_success for o in outcomes)
        if violated:
            raise CommandError(f"{violated} of {len(outcomes)} reports found violations", returncode=EXIT_VIOLATIONS)

    @staticmethod
    def _evaluate(options: dict[str, Any]) -> list[CheckOutcome]:
        parameters = {"date": options["date"]} if options["date"] else {}
        context = CheckContext(
            uuid.uuid4(), "cli", timezone.now(), parameters, tuple(options["warehouse"]), connection_of(options)
        )
        outcomes: list[CheckOutcome] = []
        try:
            for name in options["check"] or [CHECK_NAME]:
                outcomes.extend(registry.get(name).run(context))
        except ValidationError as exc:
            raise CommandError(f"invalid input — {' '.join(exc.messages)}", returncode=EXIT_ERROR) from None
        except ErpError as exc:
            raise CommandError(str(exc), returncode=EXIT_ERROR) from None
        return outcomes


def connection_of(options: dict[str, Any]) -> Connection:
    name = options["connection"]
    try:
        return Connection.objects.get(name=name) if name else implied_connection()
    except Connection.DoesNotExist:
        raise CommandError(f"no ERP connection named {name!r}", returncode=EXIT_ERROR) from None


def outcome_table(outcomes: list[CheckOutcome]) -> str:
    rows = []
    for outcome in outcomes:
        offenders = ", ".join(v.legacy_text() for v in outcome.violations[:FIRST_OFFENDERS])
        more = len(outcome.violations) - FIRST_OFFENDERS
        rows.append(
            (
                outcome.warehouse,
                outcome.status.value.upper(),
                len(outcome.violations),
                outcome.error or offenders + (f" … +{more} more" if more > 0 else ""),
                outcome.report_name,
            )
        )
    return cli.table(("warehouse", "status", "violations", "first offenders", "report"), rows)


def outcome_json(outcome: CheckOutcome) -> dict[str, Any]:
    return {
        "check": outcome.check,
        "report_name": outcome.report_name,
        "warehouse": outcome.warehouse,
        "status": outcome.status.value,
        "is_success": outcome.is_success,
        "message": outcome.message,
        "error": outcome.error,
        "rows_read": outcome.rows_read,
        "violations": [cli.to_jsonable(v) for v in outcome.violations],
    }
