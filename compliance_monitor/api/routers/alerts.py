"""/api/v1/alerts — alerts with filters, their history; acknowledge, resolve, statistics, cleanup.

Warehouse managers see and act on the alerts of their warehouses even without a broader role. A user limited to
some companies sees only their alerts: another company's alert is a 404 (``accounts/access.py``).
"""

# No `from __future__ import annotations` here: ninja's @paginate resolves the view's annotations in its own
# module, so they must be real objects, not strings.

from datetime import UTC, datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import Field

from compliance_monitor.accounts.access import alert_actor, require_every_connection, visible_alerts
from compliance_monitor.accounts.roles import Role
from compliance_monitor.alerts import services, volume
from compliance_monitor.alerts.models import Alert, AlertType
from compliance_monitor.api.routers.common import ERRORS, BoundedPages, actor
from compliance_monitor.api.schemas import (
    AlertDetailOut,
    AlertOut,
    AlertStatisticsOut,
    CleanupIn,
    CleanupOut,
    ResolveIn,
)

router = Router(tags=["alerts"])


class AlertFilters(Schema):
    state: Literal["active", "open", "acknowledged", "resolved", "all"] = "active"
    min_severity: Literal["low", "medium", "high", "critical"] = "low"
    warehouse: str | None = Field(None, max_length=64)
    type: Literal[tuple(t.value for t in AlertType)] | None = None  # type: ignore[valid-type]
    connection: str | None = Field(None, max_length=64, description="One ERP connection's alerts, by its name.")


@router.get("", response={200: list[AlertOut], **ERRORS}, summary="Alerts, most severe and newest first")
@paginate(BoundedPages, page_size=50)
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]) -> QuerySet[Alert]:
    return services.filtered(
        visible_alerts(request.user),
        state=filters.state,
        min_severity=filters.min_severity,
        warehouse=filters.warehouse or "",
        alert_type=filters.type or "",
        connection=filters.connection or "",
    )


ISO_DATE_TIME = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"


class StatisticsQuery(Schema):
    # ISO 8601 strings, parsed here: pydantic alone would read "0.5" as a Unix timestamp.
    start: str | None = Field(None, alias="from", pattern=ISO_DATE_TIME, description="ISO 8601 date or date-time")
    end: str | None = Field(None, alias="to", pattern=ISO_DATE_TIME, description="ISO 8601 date or date-time")
    connection: str | None = Field(None, max_length=64, description="One ERP connection's alerts, by its name.")


class AlertStatisticsByConnectionOut(AlertStatisticsOut):
    by_connection: dict[str, int] = Field(description="Alerts per ERP connection (installation-wide ones left out).")


def parse_when(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parse_datetime(value) or parse_datetime(f"{value}T00:00:00")
    except ValueError:  # well-formed but impossible, e.g. month 13
        parsed = None
    if parsed is None:
        raise ValidationError({field: [f"not a valid ISO 8601 date or date-time: {value!r}"]})
    # The API speaks UTC: a time without an offset is UTC, and answers carry UTC (no historical local offsets).
    return parsed.astimezone(UTC) if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


@router.get(
    "/statistics", response={200: AlertStatisticsByConnectionOut, **ERRORS}, summary="Statistics (default 30 days)"
)
def alert_statistics(request: HttpRequest, query: Query[StatisticsQuery]) -> Any:
    actor(request, Role.VIEWER)
    end = parse_when(query.end, "to") or timezone.now()
    return services.statistics(
        start=parse_when(query.start, "from"),
        end=end,
        alerts=visible_alerts(request.user),  # a user limited to some companies counts theirs only
        connection=query.connection or "",
    )


@router.post("/cleanup", response={200: CleanupOut, **ERRORS}, summary="Delete old resolved alerts")
def cleanup_alerts(request: HttpRequest, body: CleanupIn) -> dict[str, int]:
    actor(request, Role.ADMIN)
    require_every_connection(request.user, "cleaning up alerts")
    return {"deleted": services.cleanup(older_than_days=body.older_than_days, now=timezone.now())}


def alert_or_404(request: HttpRequest, alert_id: int) -> Alert:
    return get_object_or_404(visible_alerts(request.user), pk=alert_id)


@router.get("/{alert_id}", response={200: AlertDetailOut, **ERRORS}, summary="One alert with its history")
def get_alert(request: HttpRequest, alert_id: int) -> Alert:
    return alert_or_404(request, alert_id)


@router.post("/{alert_id}/acknowledge", response={200: AlertOut, **ERRORS}, summary="Acknowledge")
def acknowledge_alert(request: HttpRequest, alert_id: int) -> Alert:
    alert = alert_or_404(request, alert_id)
    return services.acknowledge(alert, by=alert_actor(request.user, alert), now=timezone.now())


@router.post("/{alert_id}/resolve", response={200: AlertOut, **ERRORS}, summary="Resolve with notes")
def resolve_alert(request: HttpRequest, alert_id: int, body: ResolveIn) -> Alert:
    alert = alert_or_404(request, alert_id)
    return services.resolve(alert, by=alert_actor(request.user, alert), notes=body.notes, now=timezone.now())


@router.post(
    "/{alert_id}/accept-volume",
    response={200: AlertOut, **ERRORS},
    summary="Accept a collapsed read as the warehouse's real volume (volume-guard alerts; admin)",
)
def accept_volume(request: HttpRequest, alert_id: int) -> Alert:
    alert = alert_or_404(request, alert_id)
    try:
        volume.accept_alert(alert, by=actor(request, Role.ADMIN), now=timezone.now())
    except volume.NothingToAcceptError as exc:
        raise HttpError(409, str(exc)) from None
    alert.refresh_from_db()
    return alert
