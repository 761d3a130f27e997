"""Planning notifications for an alert change: who, on which channels, or muted by a maintenance window.

Called inside the transaction that changes the alert, so the change and its deliveries commit together.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from django.db import transaction
from django.db.models import Q

from compliance_monitor.alerts.models import Alert, AlertEvent, AlertType, EventKind
from compliance_monitor.checks.models import CheckDefinition
from compliance_monitor.notifications import messages
from compliance_monitor.notifications.models import Delivery, DeliveryStatus, MaintenanceWindow, Recipient

log = structlog.get_logger(__name__)
ESCALATION = "escalation"


def active_window(alert: Alert, now: datetime) -> MaintenanceWindow | None:
    same_company = Q(connection__isnull=True) | Q(connection__name=alert.connection)
    scope = Q(same_company, warehouse=alert.warehouse) if alert.warehouse else Q(pk__in=[])
    if alert.job_id:
        scope |= Q(job_id=alert.job_id)
    return MaintenanceWindow.objects.filter(scope, starts_at__lte=now, ends_at__gt=now).order_by("-ends_at").first()


def recipients_for(alert: Alert, reason: str) -> list[Recipient]:
    """Escalation contacts, warehouse managers, or administrators; administrators when a lookup fails."""
    active = list(Recipient.objects.filter(active=True).select_related("connection"))
    administrators = [r for r in active if r.is_administrator]
    try:
        if reason == ESCALATION:
            chosen = [r for r in active if r.is_escalation_contact]
        elif alert.type == AlertType.COMPLIANCE_VIOLATION:
            owners = check_owners(alert.check_name)
            chosen = [r for r in active if manages(r, alert) or (r.email and r.email.lower() in owners)]
        else:
            chosen = administrators
    except (TypeError, AttributeError) as exc:  # a malformed recipient configuration
        log.error("recipient_lookup_failed", alert=alert.pk, error=str(exc))
        return administrators
    if not chosen:
        log.warning("no_recipient_configured", alert=alert.pk, warehouse=alert.warehouse, reason=reason)
        return administrators
    return chosen


def check_owners(check: str) -> set[str]:
    """The e-mail addresses a check definition names as its ``owners``: recipients with one of them hear about
    its alerts besides the warehouse's managers (an address no recipient has is logged, not dropped silently)."""
    found = CheckDefinition.objects.filter(name=check).values_list("spec", flat=True).first() if check else None
    owners = {str(email).lower() for email in (found or {}).get("owners", [])}
    known = {email.lower() for email in Recipient.objects.filter(active=True).values_list("email", flat=True)}
    if owners - known:
        log.warning("check_owner_not_a_recipient", check=check, owners=sorted(owners - known))
    return owners


def manages(recipient: Recipient, alert: Alert) -> bool:
    """A warehouse is a (connection, code): a recipient of no connection manages that code in every company."""
    if alert.warehouse not in (recipient.warehouses or []):
        return False
    return recipient.connection is None or recipient.connection.name == alert.connection


def enqueue(alert: Alert, reason: str, *, now: datetime) -> list[Delivery]:
    window = active_window(alert, now)
    recipients = recipients_for(alert, reason)
    if not recipients:
        log.error("alert_has_nobody_to_notify", alert=alert.pk, reason=reason)
        return []
    subject, body = messages.render(alert, reason)
    status = DeliveryStatus.MUTED if window else DeliveryStatus.PENDING
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            alert=alert,
            recipient=r,
            channel=channel,
            reason=reason,
            subject=subject,
            body=body,
            status=status,
            next_attempt_at=now,
            created_at=now,
        )
        for r in recipients
        for channel in r.channels()
    )
    if window:
        AlertEvent.objects.create(
            alert=alert,
            kind=EventKind.MUTED,
            at=now,
            by="system",
            detail={"window": window.pk, "until": window.ends_at.isoformat(), "reason": reason},
        )
    else:
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _send_soon(ids))
    return deliveries


def _send_soon(ids: list[int]) -> None:
    """Critical news should not wait for the periodic sender: ask for these deliveries now."""
    from compliance_monitor.notifications.tasks import send_deliveries

    try:
        send_deliveries.apply_async(args=(ids,), queue="control", retry=False)
    except Exception as exc:  # noqa: BLE001 — the periodic sender will pick them up
        log.warning("delivery_task_not_queued", deliveries=len(ids), error=str(exc))
