"""The primitives of every alert change: raise or update the one open alert of a problem, auto-resolve it.

Callers hold the transaction (and write the deliveries of the changes that notify in it: the outbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from compliance_monitor.alerts.models import Alert, AlertEvent, EventKind, Severity, State
from compliance_monitor.jobs.models import Execution

SYSTEM = "system"


@dataclass(frozen=True)
class Change:
    alert: Alert
    kind: EventKind
    notify: bool  # new problems and rises in severity notify; a persisting one does not


def is_open(fingerprint: str) -> bool:
    return Alert.objects.filter(fingerprint=fingerprint).exclude(state=State.RESOLVED).exists()


def raise_or_update(
    fingerprint: str, severity: Severity, facts: dict[str, Any], execution: Execution, now: datetime
) -> list[Change]:
    alert = Alert.objects.select_for_update().filter(fingerprint=fingerprint).exclude(state=State.RESOLVED).first()
    if alert is None:
        return [_raise(fingerprint, severity, facts, execution, now)]
    return _update(alert, severity, facts, execution, now)


def _raise(fingerprint: str, severity: Severity, facts: dict[str, Any], execution: Execution, now: datetime) -> Change:
    previous = Alert.objects.filter(fingerprint=fingerprint, state=State.RESOLVED).order_by("-resolved_at").first()
    alert = Alert.objects.create(
        fingerprint=fingerprint,
        severity=severity,
        job=execution.job,
        execution=execution,
        last_execution=execution,
        previous=previous,
        raised_at=now,
        last_seen_at=now,
        **facts,
    )
    detail = {"execution": str(execution.pk), "reopens": previous.pk if previous else None}
    event(alert, EventKind.RAISED, now, detail)
    return Change(alert, EventKind.RAISED, notify=True)


def _update(
    alert: Alert, severity: Severity, facts: dict[str, Any], execution: Execution, now: datetime
) -> list[Change]:
    for field, value in facts.items():
        setattr(alert, field, value)
    alert.last_seen_at, alert.last_execution = now, execution
    alert.occurrences += 1
    changes = [Change(alert, EventKind.UPDATED, notify=False)]
    if severity != alert.severity:
        rose = severity > alert.severity
        event(alert, EventKind.SEVERITY_CHANGED, now, {"from": alert.severity, "to": int(severity)})
        alert.severity = severity
        changes = [Change(alert, EventKind.SEVERITY_CHANGED, notify=rose)]
    alert.save()
    event(alert, EventKind.UPDATED, now, {"execution": str(execution.pk), "violation_count": alert.violation_count})
    return changes


def resolve(fingerprint: str, execution: Execution, now: datetime) -> list[Change]:
    """Auto-resolve: only ever called for a complete, trusted read (or a successful run) without the problem."""
    alert = Alert.objects.select_for_update().filter(fingerprint=fingerprint).exclude(state=State.RESOLVED).first()
    if alert is None:
        return []
    alert.state, alert.resolved_at, alert.resolved_by = State.RESOLVED, now, SYSTEM
    alert.resolution_notes = f"resolved by run {execution.pk}"
    alert.save()
    event(alert, EventKind.AUTO_RESOLVED, now, {"execution": str(execution.pk)})
    return [Change(alert, EventKind.AUTO_RESOLVED, notify=False)]


def event(alert: Alert, kind: EventKind, now: datetime, detail: dict[str, Any], by: str = SYSTEM) -> AlertEvent:
    return AlertEvent.objects.create(alert=alert, kind=kind, at=now, by=by, detail=detail)
