"""``manage.py alerts …``: list, show, acknowledge, resolve, statistics and cleanup of alerts."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any, ClassVar

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from compliance_monitor import cli
from compliance_monitor.alerts import services, volume
from compliance_monitor.alerts.models import Alert, Severity
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp.connections import implied_connection

SEVERITIES = {s.label: s for s in Severity}


class Command(cli.SubcommandCommand):
    explain: ClassVar[cli.Explanations] = {
        Alert.DoesNotExist: lambda exc, o: f"no alert with id {o.get('id')}",
        services.AlertStateError: lambda exc, o: str(exc),
        volume.NothingToAcceptError: lambda exc, o: str(exc),
    }
    help = "Alerts: list, show, ack, resolve, accept-volume, stats, cleanup."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = sub.add_parser("list", help="active alerts, most severe first")
        listing.add_argument("--min-severity", choices=list(SEVERITIES), default="low")
        listing.add_argument("--unacknowledged", action="store_true")
        listing.add_argument("--json", action="store_true")
        show = sub.add_parser("show", help="one alert with its history")
        show.add_argument("id", type=int)
        show.add_argument("--json", action="store_true")
        sub.add_parser("ack", help="acknowledge an open alert").add_argument("id", type=int)
        resolve = sub.add_parser("resolve", help="resolve an alert (notes required)")
        resolve.add_argument("id", type=int)
        resolve.add_argument("--notes", required=True)
        accept = sub.add_parser("accept-volume", help="accept a warehouse's collapsed row count as its real volume")
        accept.add_argument("warehouse", metavar="WAREHOUSE")
        accept.add_argument("--check", default=CHECK_NAME)
        accept.add_argument("--connection", help="the ERP connection (default: the installation's default one)")
        stats = sub.add_parser("stats", help="statistics over a period (default: the last 30 days)")
        stats.add_argument("--from", dest="start", help="ISO date-time")
        stats.add_argument("--to", dest="end", help="ISO date-time (default now)")
        stats.add_argument("--json", action="store_true")
        cleanup = sub.add_parser("cleanup", help="delete resolved alerts older than N days")
        cleanup.add_argument("--older-than-days", type=int, default=services.DEFAULT_CLEANUP_DAYS)

    def do_list(self, options: dict[str, Any]) -> str:
        alerts = (
            services.unacknowledged()
            if options["unacknowledged"]
            else services.active_alerts(min_severity=SEVERITIES[options["min_severity"]])
        )
        alerts = alerts.filter(severity__gte=SEVERITIES[options["min_severity"]])
        if options["json"]:
            return cli.dumps([alert_summary(a) for a in alerts])
        rows = [
            (
                a.pk,
                a.get_severity_display().upper(),
                a.state,
                a.warehouse or "-",
                a.title,
                a.raised_at,
                a.occurrences,
                "yes" if a.needs_acknowledgement else "",
            )
            for a in alerts
        ]
        return cli.table(("id", "severity", "state", "warehouse", "title", "raised", "seen", "needs ack"), rows)

    def do_show(self, options: dict[str, Any]) -> str:
        alert = services.get_alert(options["id"])
        data = {
            **alert_summary(alert),
            "history": [{"at": e.at, "kind": e.kind, "by": e.by, "detail": e.detail} for e in alert.events.all()],
        }
        if options["json"]:
            return cli.dumps(data)
        head = "\n".join(f"{k:>28}: {cli.to_jsonable(v)}" for k, v in data.items() if k != "history")
        events = cli.table(
            ("at", "event", "by", "detail"), [(e["at"], e["kind"], e["by"], e["detail"]) for e in data["history"]]
        )
        return f"{head}\n\n{events}"

    def do_ack(self, options: dict[str, Any]) -> str:
        alert = services.acknowledge(services.get_alert(options["id"]), by=self.actor(), now=timezone.now())
        return f"acknowledged alert {alert.pk}"

    def do_resolve(self, options: dict[str, Any]) -> str:
        alert = services.get_alert(options["id"])
        services.resolve(alert, by=self.actor(), notes=options["notes"], now=timezone.now())
        return f"resolved alert {alert.pk}"

    def do_accept_volume(self, options: dict[str, Any]) -> str:
        connection = options["connection"] or implied_connection().name
        result = volume.accept_volume(
            connection, options["check"], options["warehouse"], by=self.actor(), now=timezone.now()
        )
        return f"accepted {result.rows_read} rows as the volume of {result.warehouse} ({result.check_name})"

    def do_stats(self, options: dict[str, Any]) -> str:
        result = services.statistics(
            start=_when(options["start"], "--from"), end=_when(options["end"], "--to") or timezone.now()
        )
        if options["json"]:
            return cli.dumps(result)
        return "\n".join(f"{k:>34}: {v}" for k, v in cli.to_jsonable(result).items())

    def do_cleanup(self, options: dict[str, Any]) -> str:
        deleted = services.cleanup(older_than_days=options["older_than_days"], now=timezone.now())
        return f"deleted {deleted} resolved alerts older than {options['older_than_days']} days"


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(value) or parse_datetime(f"{value}T00:00:00")
    if parsed is None:
        raise CommandError(f"{option} must be an ISO date or date-time, got {value!r}")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def alert_summary(alert: Alert) -> dict[str, Any]:
    fields = (
        "pk",
        "type",
        "title",
        "message",
        "warehouse",
        "check_name",
        "violation_count",
        "legacy_text",
        "state",
        "raised_at",
        "last_seen_at",
        "occurrences",
        "acknowledged_by",
        "acknowledged_at",
        "resolved_by",
        "resolved_at",
        "resolution_notes",
        "execution_id",
        "previous_id",
    )
    data = {("id" if f == "pk" else f): getattr(alert, f) for f in fields}
    data["execution_id"] = str(alert.execution_id) if alert.execution_id else None
    return {
        **data,
        "severity": alert.get_severity_display(),
        "needs_acknowledgement": alert.needs_acknowledgement,
        "requires_immediate_attention": alert.requires_immediate_attention,
    }
