"""Sending deliveries: claim, send, record; retry with backoff; fall back to another channel."""

from __future__ import annotations

import traceback
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F

from compliance_monitor.alerts.models import Alert, AlertEvent, EventKind
from compliance_monitor.notifications import digests
from compliance_monitor.notifications.models import Channel, Delivery, DeliveryStatus
from compliance_monitor.notifications.transports import TRANSPORTS, TransportError

log = structlog.get_logger(__name__)
STUCK_AFTER = timedelta(minutes=5)  # a delivery "sending" this long lost its sender


def send_due(*, now: datetime, limit: int = 200) -> int:
    """Send what is due (and revive deliveries whose sender died); returns how many were sent."""
    Delivery.objects.filter(status=DeliveryStatus.SENDING, next_attempt_at__lt=now - STUCK_AFTER).update(
        status=DeliveryStatus.PENDING
    )
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at")
    return sum(send_one(pk, now=now) == DeliveryStatus.SENT for pk in due.values_list("pk", flat=True)[:limit])


def send_one(delivery_id: int, *, now: datetime) -> DeliveryStatus | None:
    """Send one delivery and record the outcome; never raises, so a batch always goes on to the next one."""
    try:
        return _send(delivery_id, now)
    except Exception as exc:  # noqa: BLE001 — even recording the failure failed (database down): the sweep revives it
        log.error("delivery_not_recorded", delivery=delivery_id, error_type=type(exc).__name__, error=str(exc)[:200])
        return None


def _send(delivery_id: int, now: datetime) -> DeliveryStatus | None:
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now
    )
    if not claimed:
        return None  # sent, muted or claimed by another sender meanwhile
    delivery = Delivery.objects.select_related("recipient", "alert", "digest").get(pk=delivery_id)
    try:
        TRANSPORTS[delivery.channel].send(delivery)
    except TransportError as exc:
        return _failed(delivery, exc, now)
    except Exception as exc:  # noqa: BLE001 — a bug, a template or database error: recorded and retried, never stuck
        return _failed(delivery, _unexpected(delivery, exc), now)
    try:
        _sent(delivery, now)
    except Exception as exc:  # noqa: BLE001 — not even "sent" could be written: retried (it may arrive twice)
        return _failed(delivery, _unexpected(delivery, exc), now)
    return DeliveryStatus.SENT


def _unexpected(delivery: Delivery, exc: Exception) -> TransportError:
    """An unexpected error as a retryable transport error; the Apprise URL (a secret) never in its message."""
    message = f"{type(exc).__name__}: {exc}"
    if delivery.channel == Channel.APPRISE:  # its errors may quote the service's real URL, token and all: the type only
        message = f"{type(exc).__name__} (details withheld: they may hold the Apprise URL's secret)"
    secret = delivery.recipient.apprise_url if delivery.recipient else ""
    if secret:
        message = message.replace(secret, "***")
    log.error(
        "delivery_error_unexpected",
        delivery=delivery.pk,
        channel=delivery.channel,
        error_type=type(exc).__name__,
        frames="".join(traceback.format_tb(exc.__traceback__)),  # code lines only: no values, no secrets
    )
    return TransportError(f"unexpected error: {message}")


def _sent(delivery: Delivery, now: datetime) -> None:
    """Once the transport took it, the delivery is recorded sent at once — one UPDATE, holding no lock — and nothing
    may make it pending again (that would send it twice). Then each alert's history, one short transaction each:
    a failure there (a deadlock with a review locking the same alerts) is logged, never a resend."""
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, sent_at=now, last_error="")
    log.info("delivery_sent", delivery=delivery.pk, channel=delivery.channel, alert=delivery.alert_id)
    alert_ids = digests.alerts_of(delivery.digest) if delivery.digest else [delivery.alert_id or 0]
    for alert_id in alert_ids:  # a digest: each of its alerts' history says it was told in it
        try:
            with transaction.atomic():
                _notified(alert_id, delivery, now)
        except Exception as exc:  # noqa: BLE001 — the history is a record; the message itself went out
            log.error("delivery_history_not_recorded", delivery=delivery.pk, alert=alert_id, error=str(exc)[:200])


def _notified(alert_id: int, delivery: Delivery, now: datetime) -> None:
    alert = Alert.objects.select_for_update().get(pk=alert_id)
    if delivery.channel not in alert.channels_notified:
        alert.channels_notified = [*alert.channels_notified, delivery.channel]
        alert.save(update_fields=["channels_notified"])
    detail = {"channel": delivery.channel, "recipient": str(delivery.recipient), "reason": delivery.reason}
    AlertEvent.objects.create(
        alert=alert,
        kind=EventKind.NOTIFIED,
        at=now,
        by="system",
        detail=detail | ({"digest": delivery.digest_id} if delivery.digest_id else {}),
    )


def _failed(delivery: Delivery, exc: TransportError, now: datetime) -> DeliveryStatus:
    final = exc.permanent or delivery.attempts >= settings.CM_NOTIFY_MAX_ATTEMPTS
    retry_at = now + timedelta(seconds=settings.CM_NOTIFY_BACKOFF_SECONDS * 2 ** (delivery.attempts - 1))
    status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
    Delivery.objects.filter(pk=delivery.pk).update(status=status, last_error=str(exc), next_attempt_at=retry_at)
    log.warning(
        "delivery_failed",
        delivery=delivery.pk,
        channel=delivery.channel,
        attempt=delivery.attempts,
        final=final,
        error=str(exc),
    )
    if final:
        _fall_back(delivery, now)
    return status


def _fall_back(delivery: Delivery, now: datetime) -> Delivery | None:
    channel = settings.CM_NOTIFY_FALLBACK.get(delivery.channel)
    recipient = delivery.recipient
    if not channel or recipient is None or channel not in recipient.channels():
        log.error(
            "delivery_lost_no_fallback",
            delivery=delivery.pk,
            channel=delivery.channel,
            alert=delivery.alert_id,
            digest=delivery.digest_id,
        )
        return None
    fallback = Delivery.objects.create(
        alert=delivery.alert,
        digest=delivery.digest,
        recipient=recipient,
        channel=channel,
        reason=delivery.reason,
        subject=delivery.subject,
        body=delivery.body,
        next_attempt_at=now,
        created_at=now,
        fallback_of=delivery,
    )
    log.warning("delivery_fell_back", delivery=delivery.pk, to_channel=channel, fallback=fallback.pk)
    send_one(fallback.pk, now=now)
    return fallback
