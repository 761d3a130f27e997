"""Planning notifications for an alert change: who, on which channels, or muted by a maintenance window.

Called inside the transaction that changes the alert, so the change and its deliveries (or digest items, for
recipients whose policy batches that severity: ``digests.py``) commit together. Each delivery is written in its
recipient's language (``policy.language``); the in-app inbox message made from it too — the recipient's language,
not the signed-in user's dashboard preference.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from django.db.models import Q
from django.utils import translation

from compliance_monitor.alerts.models import Alert, AlertEvent, AlertType, EventKind, Severity
from compliance_monitor.checks.models import CheckDefinition
from compliance_monitor.notifications import digests, messages, policy
from compliance_monitor.notifications.models import (
    Delivery,
    DeliveryStatus,
    DigestItem,
    DigestKind,
    MaintenanceWindow,
    Recipient,
)
from compliance_monitor.notifications.tasks import send_after_commit

log = structlog.get_logger(__name__)
ESCALATION = "escalation"
DIGEST_KINDS: dict[str, DigestKind] = {  # the alert changes a digest lists, by the reason the outbox is called with
    EventKind.RAISED: DigestKind.RAISED,
    EventKind.SEVERITY_CHANGED: DigestKind.CHANGED,
    EventKind.EXCEPTION_ENDED: DigestKind.CHANGED,  # accepted products count again
    EventKind.AUTO_RESOLVED: DigestKind.RESOLVED,
    EventKind.RESOLVED: DigestKind.RESOLVED,
}


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
    """Deliveries for those told at once; digest items for those whose policy batches this severity.

    A critical alert or an escalation always goes out at once; a non-critical one to a recipient in quiet hours
    is held until their end (``next_attempt_at``). In a maintenance window every delivery is recorded muted.
    """
    window = active_window(alert, now)
    recipients = recipients_for(alert, reason)
    if not recipients:
        log.error("alert_has_nobody_to_notify", alert=alert.pk, reason=reason)
        return []
    if window:
        return _muted(alert, reason, recipients, window, now)
    urgent = reason == ESCALATION or alert.severity == Severity.CRITICAL
    kind = DIGEST_KINDS.get(reason)
    later = [r for r in recipients if kind and not urgent and policy.wants_digest(r, alert.severity)]
    if kind and later:
        digests.record(alert, later, kind, now=now)
    deliveries = _deliveries(alert, reason, [r for r in recipients if r not in later], now, urgent=urgent)
    send_after_commit([d.pk for d in deliveries if d.next_attempt_at <= now])
    return deliveries


def note(alert: Alert, kind: str, *, now: datetime) -> list[DigestItem]:
    """A change nobody is told of at once (a severity fall, a resolution): recipients with a digest read it there."""
    digest_kind = DIGEST_KINDS.get(kind)
    if digest_kind is None or active_window(alert, now):
        return []
    recipients = [r for r in recipients_for(alert, kind) if policy.has_digest(r)]
    return digests.record(alert, recipients, digest_kind, now=now)


def _deliveries(
    alert: Alert,
    reason: str,
    recipients: list[Recipient],
    now: datetime,
    *,
    urgent: bool,
    status: DeliveryStatus = DeliveryStatus.PENDING,
) -> list[Delivery]:
    words = rendered(alert, reason, recipients)
    rows = []
    for recipient in recipients:
        subject, body = words[policy.language(recipient)]
        held = None if urgent else policy.quiet_until(recipient, now)
        if held:
            log.info("delivery_held_for_quiet_hours", alert=alert.pk, recipient=recipient.pk, until=held.isoformat())
        rows += [
            Delivery(
                alert=alert,
                recipient=recipient,
                channel=channel,
                reason=reason,
                subject=subject,
                body=body,
                status=status,
                next_attempt_at=held or now,
                created_at=now,
            )
            for channel in recipient.channels()
        ]
    return Delivery.objects.bulk_create(rows)


def rendered(alert: Alert, reason: str, recipients: list[Recipient]) -> dict[str, tuple[str, str]]:
    """The subject and body in each language these recipients read (their own, else the installation's): the same
    alert in Czech for one manager and in English for another, each language rendered once."""
    words = {}
    for language in dict.fromkeys(policy.language(r) for r in recipients):
        with translation.override(language):
            words[language] = messages.render(alert, reason)
    return words


def _muted(
    alert: Alert, reason: str, recipients: list[Recipient], window: MaintenanceWindow, now: datetime
) -> list[Delivery]:
    deliveries = _deliveries(alert, reason, recipients, now, urgent=True, status=DeliveryStatus.MUTED)
    AlertEvent.objects.create(
        alert=alert,
        kind=EventKind.MUTED,
        at=now,
        by="system",
        detail={"window": window.pk, "until": window.ends_at.isoformat(), "reason": reason},
    )
    return deliveries
