"""Template filters for alerts in the active language: their titles and messages rebuilt from their facts, and the
labels of the choices they store (type, state, history events, a run's change, notifications) — translated at
display, the stored values unchanged (``alerts/texts/``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import pgettext_lazy

from compliance_monitor.alerts import texts
from compliance_monitor.alerts.models import Alert

register = template.Library()

TRIGGER_LABELS = {  # a run's trigger, as the run page says it
    "scheduled": pgettext_lazy("trigger", "scheduled"),
    "manual": pgettext_lazy("trigger", "manual"),
    "retry": pgettext_lazy("trigger", "retry"),
    "emergency": pgettext_lazy("trigger", "emergency"),
    "change": pgettext_lazy("trigger", "change"),
}


@register.filter
def alert_title(alert: Alert) -> str:
    return texts.title(alert)


@register.filter
def alert_message(alert: Alert) -> str:
    return texts.message(alert)


@register.filter
def alert_type_label(value: str) -> str:
    return texts.type_label(value)


@register.filter
def alert_state_label(value: str) -> str:
    return texts.state_label(value)


@register.filter
def event_label(value: str) -> str:
    return texts.event_label(value)


@register.filter
def run_change_label(value: str) -> str:
    return texts.change_label(value)


@register.filter
def trigger_label(value: str) -> str:
    return texts.label(TRIGGER_LABELS, value)


@register.filter
def channel_label(value: str) -> str:
    return texts.label(texts.CHANNEL_LABELS, value)


@register.filter
def delivery_label(value: str) -> str:
    return texts.label(texts.DELIVERY_LABELS, value)


@register.filter
def reason_label(value: Any) -> str:
    return texts.label(texts.REASON_LABELS, value)


@register.filter
def actor_label(value: str) -> str:
    """Who did it: a user's name as written; the service itself ("system") in the active language."""
    return texts.actor_label(value)


@register.filter
def volume_note(result: Any) -> str:
    """A check result's volume-guard note in the active language."""
    return texts.volume_note(result.volume_note, result.warehouse)
