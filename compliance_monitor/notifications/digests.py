"""Digests: alert changes collected per recipient, sent as one message per period instead of one per alert.

* The outbox records a :class:`DigestItem` (recipient, alert, raised/changed/resolved, when) in the transaction of
  the alert change — nothing is lost when a process dies before the digest is built.
* A periodic sweep (:func:`close_due`, beat, every minute) closes periods: a recipient whose period ended and who
  has items older than its end gets ONE :class:`Digest`, and one :class:`Delivery` per channel, which take the
  items with a conditional ``UPDATE … WHERE digest IS NULL`` checked by its row count in the same transaction —
  two sweeps at once never both build it (the loser rolls back), and an item is in exactly one digest.
* The digest's deliveries are sent, retried and fall back like every other delivery (``sender.py``).
* A digest is written in its recipient's language (``policy.language``): ``messages.render_digest`` for the
  e-mail and chat, ``messages.digest_sections`` for the in-app inbox's messages made when it is delivered.
* Quiet hours hold a recipient's digest: what comes in meanwhile waits, and the first sweep after them sends one
  digest covering the whole time. A sweep that could not run (workers down) is caught up the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from django.db import DatabaseError, transaction

from compliance_monitor.alerts.models import Alert
from compliance_monitor.notifications import messages, policy
from compliance_monitor.notifications.models import (
    Delivery,
    Digest,
    DigestItem,
    DigestKind,
    Recipient,
)

log = structlog.get_logger(__name__)
REASON = "digest"


@dataclass(frozen=True)
class Plan:
    """What one sweep decided to put in a recipient's digest (read before the claim, which may then fail)."""

    recipient: Recipient
    item_ids: tuple[int, ...]
    period_start: datetime
    period_end: datetime


def record(alert: Alert, recipients: list[Recipient], kind: DigestKind, *, now: datetime) -> list[DigestItem]:
    """Called by the outbox inside the alert change's transaction."""
    items = DigestItem.objects.bulk_create(
        DigestItem(recipient=r, alert=alert, kind=kind, severity=alert.severity, at=now) for r in recipients
    )
    if items:
        log.info("digest_items_recorded", alert=alert.pk, kind=kind, recipients=[r.pk for r in recipients])
    return items


@dataclass(frozen=True)
class Told:
    """An alert's change for a recipient's digest: ``due`` while it waits (when a digest will take it), else None
    and ``item.digest`` is the digest that took it."""

    item: DigestItem
    due: datetime | None


def of_alert(alert: Alert, *, now: datetime, limit: int = 50) -> list[Told]:
    """The alert's changes recorded for digests, newest first, each waiting one with when it is due."""
    items = DigestItem.objects.filter(alert=alert).select_related("recipient", "digest").order_by("-at", "-pk")
    found = list(items.prefetch_related("digest__deliveries")[:limit])
    return [Told(item, None if item.digest_id else due(item.recipient, item.at, now=now)) for item in found]


def due(recipient: Recipient, at: datetime, *, now: datetime) -> datetime:
    """When a digest takes an item recorded at ``at`` that still waits, as :func:`plan_for` decides: at the end of
    its period; an item whose period ended goes with the next sweep, or — its period's digest already built (it
    came late) — with the current period's; quiet hours then hold it until they end."""
    end = policy.period_end(recipient, at)
    if end <= now:
        closed = Digest.objects.filter(recipient=recipient, period_end=policy.period_start(recipient, now)).exists()
        end = policy.period_end(recipient, now) if closed else now
    return policy.quiet_until(recipient, end) or end


def close_due(*, now: datetime) -> list[Digest]:
    """Build every digest whose period ended; safe in several processes at once."""
    waiting = Recipient.objects.filter(digest_items__digest__isnull=True).distinct()
    return [digest for recipient in waiting if (digest := _close(recipient, now)) is not None]


def _close(recipient: Recipient, now: datetime) -> Digest | None:
    """One recipient's digest, if due; whatever goes wrong with one recipient never holds up the others."""
    try:
        plan = plan_for(recipient, now=now)
        return build(plan, now=now) if plan is not None else None
    except Exception:
        log.exception("digest_not_closed", recipient=recipient.pk)
        return None


def plan_for(recipient: Recipient, *, now: datetime) -> Plan | None:
    """The items of periods that ended before ``now``; None when it is quiet for the recipient or nothing is due."""
    if policy.quiet_until(recipient, now) is not None:
        return None  # held: merged into the first digest after the quiet hours
    end = policy.period_start(recipient, now)
    if Digest.objects.filter(recipient=recipient, period_end=end).exists():
        return None  # a late item of a closed period goes with the next one
    pending = DigestItem.objects.filter(recipient=recipient, digest__isnull=True, at__lt=end).order_by("at", "pk")
    ids = tuple(pending.values_list("pk", flat=True))
    if not ids:
        return None
    first = pending.values_list("at", flat=True)[0]
    return Plan(recipient, ids, policy.period_start(recipient, first), end)


class _Taken(Exception):
    """Another sweep took some of the plan's items first: this digest is rolled back."""


def build(plan: Plan, *, now: datetime) -> Digest | None:
    try:
        with transaction.atomic():
            digest = _claim(plan, now)
    except _Taken:
        log.info("digest_built_elsewhere", recipient=plan.recipient.pk, period_end=plan.period_end.isoformat())
        return None
    except DatabaseError as exc:  # a deadlock with another sweep, the database gone: the items wait for the next
        log.error("digest_not_built", recipient=plan.recipient.pk, error_type=type(exc).__name__, error=str(exc)[:200])
        return None
    from compliance_monitor.notifications.tasks import send_after_commit  # tasks import this module

    send_after_commit([d.pk for d in digest.deliveries.all()])
    return digest


def _claim(plan: Plan, now: datetime) -> Digest:
    recipient = plan.recipient
    digest = Digest.objects.create(
        recipient=recipient, period_start=plan.period_start, period_end=plan.period_end, created_at=now
    )
    taken = DigestItem.objects.filter(pk__in=plan.item_ids, digest__isnull=True).update(digest=digest)
    if taken != len(plan.item_ids):
        raise _Taken
    subject, body = messages.render_digest(digest, zone=policy.zone(recipient))
    channels = recipient.channels()
    Delivery.objects.bulk_create(
        Delivery(
            digest=digest,
            recipient=recipient,
            channel=channel,
            reason=REASON,
            subject=subject,
            body=body,
            next_attempt_at=now,
            created_at=now,
        )
        for channel in channels
    )
    if not channels:
        log.error("digest_has_no_channel", digest=digest.pk, recipient=recipient.pk)
    log.info("digest_built", digest=digest.pk, recipient=recipient.pk, items=taken, channels=channels)
    return digest


def alerts_of(digest: Digest) -> list[int]:
    return sorted(set(digest.items.values_list("alert_id", flat=True)))
