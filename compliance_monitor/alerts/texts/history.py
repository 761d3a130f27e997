"""An alert event's details as a sentence in the active language, for the alert's history."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from compliance_monitor.alerts.models import EventKind
from compliance_monitor.alerts.texts.labels import CHANNEL_LABELS, REASON_LABELS, label, severity_label


def event_text(kind: str, detail: dict[str, Any]) -> str:
    """An event's details as a sentence in the active language ("" for none)."""
    detail = {key: value for key, value in (detail or {}).items() if value not in (None, "", [])}
    if not detail:
        return ""
    run = detail.get("execution")
    if kind == EventKind.RAISED and run:
        text = _("Run %(run)s found it.") % {"run": run}
        if detail.get("reopens"):
            text += " " + _("It recurs after alert %(alert)s.") % {"alert": detail["reopens"]}
        return text
    if kind == EventKind.RAISED and "missed_slot" in detail:
        return _("The run due at %(slot)s never started.") % {"slot": detail["missed_slot"]}
    if kind == EventKind.UPDATED and run:
        count = detail.get("violation_count")
        if not count:
            return _("Run %(run)s found it again.") % {"run": run}
        return ngettext(
            "Run %(run)s found it again, with %(count)s violation.",
            "Run %(run)s found it again, with %(count)s violations.",
            int(count),
        ) % {"run": run, "count": count}
    if kind == EventKind.AUTO_RESOLVED and run:
        return _("Run %(run)s no longer found it.") % {"run": run}
    if kind == EventKind.SEVERITY_CHANGED and "from" in detail and "to" in detail:
        values = {"old": severity_label(detail["from"]), "new": severity_label(detail["to"])}
        if int(detail["to"]) > int(detail["from"]):
            return _("The severity rose from %(old)s to %(new)s.") % values
        return _("The severity fell from %(old)s to %(new)s.") % values
    if kind == EventKind.RESOLVED and "notes" in detail:
        return _("notes: %(notes)s") % {"notes": detail["notes"]}
    if kind == EventKind.ESCALATED and "escalation" in detail:
        return _("Escalation number %(count)s.") % {"count": detail["escalation"]}
    if kind == EventKind.MUTED and "window" in detail:
        return _("Held back by maintenance window %(window)s until %(until)s (%(reason)s).") % {
            "window": detail["window"],
            "until": detail.get("until", "–"),
            "reason": label(REASON_LABELS, detail.get("reason", "")),
        }
    if kind == EventKind.NOTIFIED and "channel" in detail:
        values = {
            "channel": label(CHANNEL_LABELS, detail["channel"]),
            "recipient": detail.get("recipient", "–"),
            "reason": label(REASON_LABELS, detail.get("reason", "")),
        }
        text = _("Sent by %(channel)s to %(recipient)s (%(reason)s).") % values
        if detail.get("digest"):
            text += " " + _("In digest %(digest)s.") % {"digest": detail["digest"]}
        return text
    return pairs(detail)


DETAIL_LABELS: dict[str, Promise] = {
    "execution": pgettext_lazy("alert detail", "execution"),
    "reopens": pgettext_lazy("alert detail", "reopens"),
    "violation_count": pgettext_lazy("alert detail", "violation count"),
    "from": pgettext_lazy("alert detail", "from"),
    "to": pgettext_lazy("alert detail", "to"),
    "notes": pgettext_lazy("alert detail", "notes"),
    "escalation": pgettext_lazy("alert detail", "escalation"),
    "missed_slot": pgettext_lazy("alert detail", "missed slot"),
    "window": pgettext_lazy("alert detail", "window"),
    "until": pgettext_lazy("alert detail", "until"),
    "reason": pgettext_lazy("alert detail", "reason"),
    "channel": pgettext_lazy("alert detail", "channel"),
    "recipient": pgettext_lazy("alert detail", "recipient"),
    "digest": pgettext_lazy("alert detail", "digest"),
}


def pairs(detail: dict[str, Any]) -> str:
    """Details of a shape not known here: ``key: value`` pairs (known keys named in the active language)."""
    return " · ".join(
        f"{label(DETAIL_LABELS, key) if key in DETAIL_LABELS else key.replace('_', ' ')}: {value}"
        for key, value in detail.items()
        if value not in (None, "", [])
    )
