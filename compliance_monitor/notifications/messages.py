"""The words of a notification: a critical subject starts with ``CRITICAL:``. Plain text (no HTML to escape);
chat services get it defanged (``transports.py``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import tzinfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from compliance_monitor.alerts.models import Alert, EventKind, Severity
from compliance_monitor.erp.models import Connection
from compliance_monitor.notifications.models import Digest, DigestItem, DigestKind

MAX_OFFENDERS = 20


def render(alert: Alert, reason: str) -> tuple[str, str]:
    severity = alert.get_severity_display()
    prefix = "CRITICAL: " if alert.severity == Severity.CRITICAL else f"[{severity.upper()}] "
    subject = f"{prefix}{alert.title}"
    if reason == "escalation":
        subject = f"{prefix}ESCALATED, not acknowledged: {alert.title}"
    elif reason == EventKind.EXCEPTION_ENDED:
        subject = f"{prefix}counting again after an accepted exception ended: {alert.title}"
    lines = [
        alert.title,
        "",
        f"Severity:   {severity}",
        f"Warehouse:  {alert.warehouse or '-'}",
        f"Violations: {alert.violation_count}",
        f"Found at:   {timezone.localtime(alert.last_seen_at):%Y-%m-%d %H:%M:%S %Z}",
        f"Execution:  {alert.last_execution_id or alert.execution_id or '-'}",
        f"Alert:      #{alert.pk} ({alert.state})",
    ]
    offenders = [
        d.get("product_code", "") + f" ({d.get('quantity', 0):g}{d.get('unit') or 'ks'})"
        for d in alert.violation_details[:MAX_OFFENDERS]
    ]
    if offenders:
        more = alert.violation_count - len(offenders)
        lines += ["", "Offenders: " + ", ".join(offenders) + (f" … and {more} more" if more > 0 else "")]
    if reason == EventKind.EXCEPTION_ENDED:
        lines += ["", "Counting again (their accepted exception expired or was revoked): " + returned_products(alert)]
    if alert.message:
        lines += ["", alert.message]
    return subject, "\n".join(lines)


def returned_products(alert: Alert) -> str:
    ended = alert.events.filter(kind=EventKind.EXCEPTION_ENDED).order_by("-at", "-pk").first()
    detail = ended.detail if ended else {}
    products, count = detail.get("products", []), int(detail.get("count", 0))
    more = count - len(products)
    return ", ".join(products) + (f" … and {more} more" if more > 0 else "")


# --- digests ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One company's part of a digest (the in-app inbox gets one message per company: see ``access.py``)."""

    connection: str
    alerts: int
    text: str


def render_digest(digest: Digest, *, zone: tzinfo) -> tuple[str, str]:
    sections = digest_sections(digest, zone=zone)
    items = list(digest.items.all())
    counts = Counter(item.kind for item in items)
    alerts = sum(section.alerts for section in sections)
    subject = f"Digest: {alerts} alert{'s' if alerts != 1 else ''}, {period(digest, zone)}"
    summary = ", ".join(f"{counts[kind]} {kind}" for kind in DigestKind if counts[kind])
    headline = f"What happened {period(digest, zone)} ({summary})."
    return subject, "\n\n".join([headline, *(section.text for section in sections)])


def period(digest: Digest, zone: tzinfo) -> str:
    start, end = digest.period_start.astimezone(zone), digest.period_end.astimezone(zone)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M %Z}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M %Z}"


def digest_sections(digest: Digest, *, zone: tzinfo) -> list[Section]:
    """Grouped by company and warehouse, each alert once with its changes in the period and a link."""
    items = list(digest.items.select_related("alert").order_by("at", "pk"))
    by_alert: dict[int, list[DigestItem]] = {}
    for item in items:
        by_alert.setdefault(item.alert_id, []).append(item)
    companies: dict[str, dict[str, list[list[DigestItem]]]] = {}
    for changes in by_alert.values():
        alert = changes[0].alert
        companies.setdefault(alert.connection, {}).setdefault(alert.warehouse, []).append(changes)
    titles = dict(Connection.objects.filter(name__in=companies).values_list("name", "title"))
    return [
        _section(name, titles.get(name, ""), companies[name], zone)
        for name in sorted(companies, key=lambda n: (not n, n))
    ]


def _section(connection: str, title: str, warehouses: dict[str, list[list[DigestItem]]], zone: tzinfo) -> Section:
    company = f"{title} ({connection})" if title and title != connection else connection
    lines = [f"Company: {company or '(installation-wide)'}"]
    for code in sorted(warehouses, key=lambda c: (not c, c)):
        lines += ["", f"  Warehouse {code}" if code else "  Jobs and system"]
        for changes in sorted(warehouses[code], key=lambda c: (-c[0].alert.severity, c[0].alert_id)):
            lines += _alert_lines(changes, zone)
    return Section(connection, sum(len(alerts) for alerts in warehouses.values()), "\n".join(lines))


def _alert_lines(changes: list[DigestItem], zone: tzinfo) -> list[str]:
    alert = changes[0].alert
    happened = ", ".join(
        f"{item.kind} {item.at.astimezone(zone):%H:%M} ({Severity(item.severity).label})" for item in changes
    )
    return [
        f"    [{alert.severity_label.upper()}] {alert.title} — #{alert.pk}, {alert.state}",
        f"      {happened}",
        f"      {alert_link(alert.pk)}",
    ]


def alert_link(alert_id: int) -> str:
    """The alert's dashboard page: absolute with ``CM_PUBLIC_URL`` (how people reach the dashboard), else a path."""
    return settings.CM_PUBLIC_URL + reverse("dashboard:alert", args=[alert_id])
