"""Labels of stored choice values — an alert's type, state and events, a severity, a delivery's channel, reason and
status — in the active language. The values stay as stored; an unknown value is shown as stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from compliance_monitor.alerts.models import AlertType, EventKind, Severity, State

TYPE_LABELS: dict[str, Promise] = {  # as ``get_type_display()`` said them (English unchanged)
    AlertType.COMPLIANCE_VIOLATION: gettext_lazy("Compliance Violation"),
    AlertType.JOB_FAILURE: gettext_lazy("Job Failure"),
    AlertType.SYSTEM_ERROR: gettext_lazy("System Error"),
    AlertType.PERFORMANCE_ISSUE: gettext_lazy("Performance Issue"),
}
STATE_LABELS: dict[str, Promise] = {  # the state of an alert; the inbox's filter adds "active" and "all"
    State.OPEN: pgettext_lazy("alert state", "open"),
    State.ACKNOWLEDGED: pgettext_lazy("alert state", "acknowledged"),
    State.RESOLVED: pgettext_lazy("alert state", "resolved"),
    "active": pgettext_lazy("alert state", "active"),
    "all": pgettext_lazy("alert state", "all"),
}
EVENT_LABELS: dict[str, Promise] = {  # as ``get_kind_display()`` said them (English unchanged)
    EventKind.RAISED: pgettext_lazy("alert event", "Raised"),
    EventKind.UPDATED: pgettext_lazy("alert event", "Updated"),
    EventKind.SEVERITY_CHANGED: pgettext_lazy("alert event", "Severity Changed"),
    EventKind.ACKNOWLEDGED: pgettext_lazy("alert event", "Acknowledged"),
    EventKind.RESOLVED: pgettext_lazy("alert event", "Resolved"),
    EventKind.AUTO_RESOLVED: pgettext_lazy("alert event", "Auto Resolved"),
    EventKind.ESCALATED: pgettext_lazy("alert event", "Escalated"),
    EventKind.NOTIFIED: pgettext_lazy("alert event", "Notified"),
    EventKind.MUTED: pgettext_lazy("alert event", "Muted"),
}
CHANGE_LABELS: dict[str, Promise] = {  # what a run did to an alert (``run_alerts``)
    "raised": pgettext_lazy("alert change", "raised"),
    "updated": pgettext_lazy("alert change", "updated"),
    "resolved": pgettext_lazy("alert change", "resolved"),
}
SEVERITY_LABELS: dict[str, Promise] = {
    "low": pgettext_lazy("severity", "low"),
    "medium": pgettext_lazy("severity", "medium"),
    "high": pgettext_lazy("severity", "high"),
    "critical": pgettext_lazy("severity", "critical"),
}
REASON_LABELS: dict[str, Promise] = {  # why a delivery was sent: the alert change it tells
    "raised": pgettext_lazy("notification reason", "raised"),
    "severity_changed": pgettext_lazy("notification reason", "severity changed"),
    "escalated": pgettext_lazy("notification reason", "escalated"),
    "escalation": pgettext_lazy("notification reason", "escalation"),
    "digest": pgettext_lazy("notification reason", "digest"),
    "resolved": pgettext_lazy("notification reason", "resolved"),
    "auto_resolved": pgettext_lazy("notification reason", "resolved"),
    "changed": pgettext_lazy("notification reason", "severity changed"),
}
CHANNEL_LABELS: dict[str, Promise] = {
    "email": pgettext_lazy("channel", "e-mail"),
    "in_app": pgettext_lazy("channel", "in the app"),
    "apprise": pgettext_lazy("channel", "Apprise"),
}
ANY = pgettext_lazy("filter", "any")  # a filter's empty choice
SEVERITY_OR_WORSE: dict[str, Promise] = {  # the inbox's severity filter
    "low": gettext_lazy("low or worse"),
    "medium": gettext_lazy("medium or worse"),
    "high": gettext_lazy("high or worse"),
    "critical": gettext_lazy("critical or worse"),
}
DELIVERY_LABELS: dict[str, Promise] = {
    "pending": pgettext_lazy("delivery", "pending"),
    "sending": pgettext_lazy("delivery", "sending"),
    "sent": pgettext_lazy("delivery", "sent"),
    "failed": pgettext_lazy("delivery", "failed"),
    "muted": pgettext_lazy("delivery", "muted"),
}


def label(labels: Mapping[str, Promise], value: Any) -> str:
    """A stored choice value's label in the active language; an unknown value as stored."""
    found = labels.get(str(value))
    return str(found) if found is not None else str(value)


def type_label(value: str) -> str:
    return label(TYPE_LABELS, value)


def state_label(value: str) -> str:
    return label(STATE_LABELS, value)


def event_label(value: str) -> str:
    return label(EVENT_LABELS, value)


def severity_label(value: int | str) -> str:
    name = Severity(value).label if isinstance(value, int) or str(value).isdigit() else str(value)
    return label(SEVERITY_LABELS, name)


def change_label(value: str) -> str:
    return label(CHANGE_LABELS, value)


def actor_label(value: str) -> str:
    """Who changed an alert: a user's name as written, the service itself (``changes.SYSTEM``) translated."""
    return pgettext("actor", "system") if value == "system" else value
