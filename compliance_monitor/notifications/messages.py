"""The words of a notification: a critical subject starts with ``CRITICAL:``. Plain text (no HTML to escape);
chat services get it defanged (``transports.py``).

Rendered in the active language: the outbox and the digests render each recipient's in their language
(``policy.language``; blank: the installation's ``LANGUAGE_CODE``), so one alert reads in Czech for one manager and
in English for another. The alert's title and message are rebuilt from its facts (``alerts/texts/``); what was
written elsewhere stays as written (codes, company names, the original reports' ``Z001 (2ks)``, ERP errors).
English dates keep their ISO form, Czech ones read ``6. 12. 2026 14:05:00 CET``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from compliance_monitor.alerts import texts
from compliance_monitor.alerts.models import Alert, EventKind, Severity
from compliance_monitor.erp.models import Connection
from compliance_monitor.notifications import policy
from compliance_monitor.notifications.models import Digest, DigestItem, DigestKind

MAX_OFFENDERS = 20


def moment(value: datetime, zone: tzinfo | None = None) -> str:
    """A point in time with seconds and zone: ``2026-06-01 10:00:00 CEST``; Czech ``1. 6. 2026 10:00:00 CEST``."""
    local = value.astimezone(zone) if zone else timezone.localtime(value)
    # Translators: Django's date format (j day, n month, Y year, G/H hour, i minutes, s seconds, T time zone).
    return dateformat.format(local, pgettext("date format: a notification's moment", "Y-m-d H:i:s T"))


def render(alert: Alert, reason: str) -> tuple[str, str]:
    """The subject and the body of an alert's notification, in the active language."""
    severity = texts.severity_label(alert.severity)
    title = texts.title(alert)
    if alert.severity == Severity.CRITICAL:
        prefix = pgettext("notification subject", "CRITICAL:") + " "
    else:
        prefix = pgettext("notification subject", "[%(severity)s]") % {"severity": severity.upper()} + " "
    subject = prefix + title
    if reason == "escalation":
        subject = prefix + _("ESCALATED, not acknowledged: %(title)s") % {"title": title}
    elif reason == EventKind.EXCEPTION_ENDED:
        subject = prefix + _("counting again after an accepted exception ended: %(title)s") % {"title": title}
    lines = [
        title,
        "",
        _("Severity:   %(severity)s") % {"severity": severity},
        _("Warehouse:  %(warehouse)s") % {"warehouse": alert.warehouse or "-"},
        _("Violations: %(count)s") % {"count": alert.violation_count},
        _("Found at:   %(moment)s") % {"moment": moment(alert.last_seen_at)},
        _("Execution:  %(execution)s") % {"execution": alert.last_execution_id or alert.execution_id or "-"},
        _("Alert:      #%(alert)s (%(state)s)") % {"alert": alert.pk, "state": texts.state_label(alert.state)},
    ]
    offenders = [  # the original reports' format, in every language
        d.get("product_code", "") + f" ({d.get('quantity', 0):g}{d.get('unit') or 'ks'})"
        for d in alert.violation_details[:MAX_OFFENDERS]
    ]
    if offenders:
        more = alert.violation_count - len(offenders)
        lines += ["", _("Offenders: %(offenders)s") % {"offenders": ", ".join(offenders) + and_more(more)}]
    if reason == EventKind.EXCEPTION_ENDED:
        lines += [
            "",
            _("Counting again (their accepted exception expired or was revoked): %(products)s")
            % {"products": returned_products(alert)},
        ]
    message = texts.message(alert)
    if message:
        lines += ["", message]
    return subject, "\n".join(lines)


def and_more(count: int) -> str:
    """`` … and 5 more`` after a list cut short ("" when nothing was left out)."""
    if count <= 0:
        return ""
    return " " + ngettext("… and %(count)s more", "… and %(count)s more", count) % {"count": count}


def returned_products(alert: Alert) -> str:
    ended = alert.events.filter(kind=EventKind.EXCEPTION_ENDED).order_by("-at", "-pk").first()
    detail = ended.detail if ended else {}
    products, count = detail.get("products", []), int(detail.get("count", 0))
    return ", ".join(products) + and_more(count - len(products))


# --- digests ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One company's part of a digest (the in-app inbox gets one message per company: see ``access.py``)."""

    connection: str
    alerts: int
    text: str


# What happened in a digest's period, with how many times: ``12 raised``.
DIGEST_KINDS: dict[str, Callable[[int], str]] = {
    DigestKind.RAISED: lambda n: ngettext("%(count)s raised", "%(count)s raised", n),
    DigestKind.CHANGED: lambda n: ngettext("%(count)s changed", "%(count)s changed", n),
    DigestKind.RESOLVED: lambda n: ngettext("%(count)s resolved", "%(count)s resolved", n),
}
DIGEST_KIND_LABELS: dict[str, Promise] = {
    DigestKind.RAISED: pgettext_lazy("digest change", "raised"),
    DigestKind.CHANGED: pgettext_lazy("digest change", "changed"),
    DigestKind.RESOLVED: pgettext_lazy("digest change", "resolved"),
}


def render_digest(digest: Digest, *, zone: tzinfo) -> tuple[str, str]:
    """The digest's subject and body in its recipient's language."""
    with translation.override(policy.language(digest.recipient)):
        sections = digest_sections(digest, zone=zone)
        items = list(digest.items.all())
        counts = Counter(item.kind for item in items)
        alerts = sum(section.alerts for section in sections)
        when = period(digest, zone)
        subject = ngettext("Digest: %(count)s alert, %(period)s", "Digest: %(count)s alerts, %(period)s", alerts) % {
            "count": alerts,
            "period": when,
        }
        summary = ", ".join(
            DIGEST_KINDS[kind](counts[kind]) % {"count": counts[kind]} for kind in DigestKind if counts[kind]
        )
        headline = _("What happened %(period)s (%(summary)s).") % {"period": when, "summary": summary}
        return subject, "\n\n".join([headline, *(section.text for section in sections)])


def period(digest: Digest, zone: tzinfo) -> str:
    start, end = digest.period_start.astimezone(zone), digest.period_end.astimezone(zone)
    # Translators: Django's date format (j day, n month, Y year, G/H hour, i minutes, T time zone).
    day_and_time = pgettext("date format: a digest period's bound", "Y-m-d H:i")
    if start.date() == end.date():
        # Translators: Django's date format (G/H hour, i minutes, T time zone).
        clock = pgettext("date format: a digest period's end the same day", "H:i T")
        return f"{dateformat.format(start, day_and_time)}–{dateformat.format(end, clock)}"
    # Translators: Django's date format (j day, n month, Y year, G/H hour, i minutes, T time zone).
    end_day_and_time = pgettext("date format: a digest period's end another day", "Y-m-d H:i T")
    return f"{dateformat.format(start, day_and_time)} – {dateformat.format(end, end_day_and_time)}"


def digest_sections(digest: Digest, *, zone: tzinfo) -> list[Section]:
    """Grouped by company and warehouse, each alert once with its changes in the period and a link; in the
    recipient's language (the in-app inbox builds its messages from these when it delivers the digest)."""
    with translation.override(policy.language(digest.recipient)):
        items = list(digest.items.select_related("alert").order_by("at", "pk"))
        texts.prime({item.alert_id: item.alert for item in items}.values())
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
    lines = [_("Company: %(company)s") % {"company": company or _("(installation-wide)")}]
    for code in sorted(warehouses, key=lambda c: (not c, c)):
        lines += ["", "  " + (_("Warehouse %(warehouse)s") % {"warehouse": code} if code else _("Jobs and system"))]
        for changes in sorted(warehouses[code], key=lambda c: (-c[0].alert.severity, c[0].alert_id)):
            lines += _alert_lines(changes, zone)
    return Section(connection, sum(len(alerts) for alerts in warehouses.values()), "\n".join(lines))


def _alert_lines(changes: list[DigestItem], zone: tzinfo) -> list[str]:
    alert = changes[0].alert
    # Translators: Django's date format (G/H hour, i minutes).
    clock = pgettext("date format: a time of day", "H:i")
    happened = ", ".join(
        _("%(change)s %(time)s (%(severity)s)")
        % {
            "change": texts.label(DIGEST_KIND_LABELS, item.kind),
            "time": dateformat.format(item.at.astimezone(zone), clock),
            "severity": texts.severity_label(item.severity),
        }
        for item in changes
    )
    severity = pgettext("notification subject", "[%(severity)s]") % {
        "severity": texts.severity_label(alert.severity).upper()
    }
    return [
        f"    {severity} {texts.title(alert)} — #{alert.pk}, {texts.state_label(alert.state)}",
        f"      {happened}",
        f"      {alert_link(alert.pk)}",
    ]


def alert_link(alert_id: int) -> str:
    """The alert's dashboard page: absolute with ``CM_PUBLIC_URL`` (how people reach the dashboard), else a path."""
    return settings.CM_PUBLIC_URL + reverse("dashboard:alert", args=[alert_id])
