"""An alert's texts in the active language, rebuilt from its stored facts when it is shown or sent (issue 15).

``Alert.title`` and ``Alert.message`` keep the English text the alert was raised with (the API, the admin, old
deliveries read it); :func:`title` and :func:`message` say the same in the language active now — the same alert
reads in Czech for one manager and in English for another. They rebuild each known shape from its facts (type,
count, warehouse, check, company, job, the run's status, the result's check title); in English they equal what
``raising.py`` (``performance.py``, ``deadman.py``) stores. A shape they do not know — or whose facts are gone, a
deleted run — falls back to the stored text, so nothing is ever blank.

Data stays as written: a check definition's title, job and warehouse codes, companies, ERP error texts and the
original reports' offender lists (``Z001 (2ks), Z002 (2ks)``).

:func:`prime` reads the facts of a page of alerts in a few queries; without it each alert reads its own.

One module per concern: ``labels`` (stored choice values), ``facts`` (what the texts are rebuilt from), ``titles``,
``messages`` (the system's own alerts), ``history`` (an event's details). Import from this package.
"""

from __future__ import annotations

from compliance_monitor.alerts.texts.facts import prime
from compliance_monitor.alerts.texts.history import event_text, pairs
from compliance_monitor.alerts.texts.labels import (
    ANY,
    CHANGE_LABELS,
    CHANNEL_LABELS,
    DELIVERY_LABELS,
    EVENT_LABELS,
    REASON_LABELS,
    SEVERITY_LABELS,
    SEVERITY_OR_WORSE,
    STATE_LABELS,
    TYPE_LABELS,
    actor_label,
    change_label,
    event_label,
    label,
    severity_label,
    state_label,
    type_label,
)
from compliance_monitor.alerts.texts.messages import message
from compliance_monitor.alerts.texts.titles import title, volume_note

__all__ = [
    "ANY",
    "CHANGE_LABELS",
    "CHANNEL_LABELS",
    "DELIVERY_LABELS",
    "EVENT_LABELS",
    "REASON_LABELS",
    "SEVERITY_LABELS",
    "SEVERITY_OR_WORSE",
    "STATE_LABELS",
    "TYPE_LABELS",
    "actor_label",
    "change_label",
    "event_label",
    "event_text",
    "label",
    "message",
    "pairs",
    "prime",
    "severity_label",
    "state_label",
    "title",
    "type_label",
    "volume_note",
]
