"""Alert use cases (the seed's ``IComplianceAlertService``): acknowledge, resolve, queries, statistics."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, DurationField, F, Q, QuerySet

from compliance_monitor.alerts.models import Alert, AlertEvent, AlertType, EventKind, Severity, State
from compliance_monitor.notifications import outbox

log = structlog.get_logger(__name__)
DEFAULT_STATS_DAYS = 30
DEFAULT_CLEANUP_DAYS = 90


class AlertStateError(Exception):
    """The alert is not in a state that allows this (e.g. acknowledging a resolved alert)."""


def get_alert(alert_id: int) -> Alert:
    """Raises ``Alert.DoesNotExist`` for an unknown id."""
    return Alert.objects.get(pk=alert_id)


def acknowledge(alert: Alert, *, by: str, now: datetime) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state != State.OPEN:
            raise AlertStateError(f"alert {alert.pk} is {alert.state}; only an open alert can be acknowledged")
        alert.state, alert.acknowledged_by, alert.acknowledged_at = State.ACKNOWLEDGED, by, now
        alert.save()
        AlertEvent.objects.create(alert=alert, kind=EventKind.ACKNOWLEDGED, at=now, by=by)
    log.info("alert_acknowledged", alert=alert.pk, by=by)
    return alert


def resolve(alert: Alert, *, by: str, notes: str, now: datetime) -> Alert:
    """Resolve with notes; acknowledges too when nobody did, but keeps the first acknowledger."""
    if not notes.strip():
        raise ValidationError({"notes": ["resolution notes are required"]})
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state == State.RESOLVED:
            raise AlertStateError(f"alert {alert.pk} is already resolved")
        if not alert.acknowledged_at:
            alert.acknowledged_by, alert.acknowledged_at = by, now
        alert.state, alert.resolved_by, alert.resolved_at = State.RESOLVED, by, now
        alert.resolution_notes = notes.strip()
        alert.save()
        AlertEvent.objects.create(alert=alert, kind=EventKind.RESOLVED, at=now, by=by, detail={"notes": notes})
        outbox.note(alert, EventKind.RESOLVED, now=now)  # recipients with a digest read it there
    log.info("alert_resolved", alert=alert.pk, by=by)
    return alert


def active_alerts(*, min_severity: Severity = Severity.LOW) -> QuerySet[Alert]:
    return (
        Alert.objects.exclude(state=State.RESOLVED)
        .filter(severity__gte=min_severity)
        .order_by("-severity", "-raised_at")
    )


SEVERITY_BY_LABEL = {s.label: s for s in Severity}


def filtered(
    alerts: QuerySet[Alert],
    *,
    state: str = "active",
    min_severity: str = "low",
    warehouse: str = "",
    alert_type: str = "",
    connection: str = "",
) -> QuerySet[Alert]:
    """The inbox's filters, most severe and newest first. ``state``: active (= not resolved), all, or a state;
    ``connection``: one ERP connection's alerts, by its name."""
    alerts = alerts.filter(severity__gte=SEVERITY_BY_LABEL[min_severity])
    if state == "active":
        alerts = alerts.exclude(state=State.RESOLVED)
    elif state != "all":
        alerts = alerts.filter(state=state)
    if warehouse:
        alerts = alerts.filter(warehouse=warehouse)
    if alert_type:
        alerts = alerts.filter(type=alert_type)
    if connection:
        alerts = alerts.filter(connection=connection)
    return alerts.order_by("-severity", "-raised_at", "-pk")


def unacknowledged() -> QuerySet[Alert]:
    return Alert.objects.filter(state=State.OPEN).order_by("-severity", "-raised_at")


def by_execution(execution_id: uuid.UUID) -> QuerySet[Alert]:
    """Alerts raised by the run, and those it last updated."""
    return Alert.objects.filter(Q(execution_id=execution_id) | Q(last_execution_id=execution_id)).distinct()


@dataclass(frozen=True)
class AlertStatistics:
    period_start: datetime
    period_end: datetime
    total: int
    active: int
    acknowledged: int
    resolved: int
    by_severity: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    by_warehouse: dict[str, int] = field(default_factory=dict)
    by_connection: dict[str, int] = field(default_factory=dict)  # installation-wide alerts (no connection) left out
    mean_time_to_acknowledge_seconds: float | None = None
    mean_time_to_resolve_seconds: float | None = None


def statistics(
    *,
    start: datetime | None = None,
    end: datetime,
    days: int = DEFAULT_STATS_DAYS,
    alerts: QuerySet[Alert] | None = None,
    connection: str = "",
) -> AlertStatistics:
    """Alerts raised in [start, end] (default: the last 30 days), counted and averaged by the database.

    ``alerts``: the ones to count (default: every alert; the API passes those the caller may see);
    ``connection``: one ERP connection's, by its name.
    """
    start = start or end - timedelta(days=days)
    if start > end:
        raise ValidationError({"from": ["the period must start before it ends"]})
    alerts = (Alert.objects.all() if alerts is None else alerts).filter(raised_at__gte=start, raised_at__lte=end)
    if connection:
        alerts = alerts.filter(connection=connection)
    totals = alerts.aggregate(
        total=Count("pk"),
        acknowledged=Count("pk", filter=Q(state=State.ACKNOWLEDGED)),
        resolved=Count("pk", filter=Q(state=State.RESOLVED)),
        to_acknowledge=_mean_span("acknowledged_at"),
        to_resolve=_mean_span("resolved_at"),
    )

    def counts(field_name: str) -> dict[str, int]:
        return dict(alerts.order_by().values_list(field_name).annotate(n=Count("pk")).values_list(field_name, "n"))

    # Warehouses and connections in one grouped query: (connection, warehouse) pairs are few, summed here.
    by_warehouse: dict[str, int] = {}
    by_connection: dict[str, int] = {}
    places = alerts.order_by().values_list("connection", "warehouse").annotate(n=Count("pk"))
    for connection, warehouse, n in places.values_list("connection", "warehouse", "n"):
        if warehouse:
            by_warehouse[warehouse] = by_warehouse.get(warehouse, 0) + n
        if connection:
            by_connection[connection] = by_connection.get(connection, 0) + n
    severity_names = {int(s): s.label for s in Severity}
    by_type = counts("type")
    return AlertStatistics(
        period_start=start,
        period_end=end,
        total=totals["total"],
        active=totals["total"] - totals["resolved"],
        acknowledged=totals["acknowledged"],
        resolved=totals["resolved"],
        by_severity={severity_names[int(k)]: v for k, v in counts("severity").items()},
        by_type={t.value: by_type.get(t.value, 0) for t in AlertType},
        by_warehouse=dict(sorted(by_warehouse.items())),
        by_connection=dict(sorted(by_connection.items())),
        mean_time_to_acknowledge_seconds=_seconds(totals["to_acknowledge"]),
        mean_time_to_resolve_seconds=_seconds(totals["to_resolve"]),
    )


def _mean_span(until: str) -> Avg:
    """Mean of ``until - raised_at`` over the alerts that have ``until`` (AVG skips nulls), in the database."""
    return Avg(F(until) - F("raised_at"), output_field=DurationField())


def _seconds(span: timedelta | None) -> float | None:
    return None if span is None else round(span.total_seconds(), 1)


def cleanup(*, older_than_days: int = DEFAULT_CLEANUP_DAYS, now: datetime) -> int:
    """Delete *resolved* alerts resolved before the cutoff; unresolved ones are never deleted."""
    if older_than_days < 1:
        raise ValidationError({"older_than_days": ["must be at least 1"]})
    old = Alert.objects.filter(state=State.RESOLVED, resolved_at__lt=now - timedelta(days=older_than_days))
    deleted = old.delete()[1].get("alerts.Alert", 0)
    log.info("alerts_cleaned_up", deleted=deleted, older_than_days=older_than_days)
    return deleted
