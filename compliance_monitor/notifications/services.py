"""The in-app inbox: a user's messages, the unread count, marking read; a recipient's delivery policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from compliance_monitor.notifications.models import InboxMessage, Recipient

log = structlog.get_logger(__name__)


def inbox(user: Any) -> QuerySet[InboxMessage]:
    return InboxMessage.objects.filter(user=user)


def unread_count(user: Any) -> int:
    return InboxMessage.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user: Any, message_id: int, *, now: datetime) -> InboxMessage:
    """Raises ``InboxMessage.DoesNotExist`` for a message that is not this user's: nobody reads another's mail."""
    message = InboxMessage.objects.get(pk=message_id, user=user)
    if message.read_at is None:
        message.read_at = now
        message.save(update_fields=["read_at"])
    return message


def mark_all_read(user: Any, *, now: datetime) -> int:
    return InboxMessage.objects.filter(user=user, read_at__isnull=True).update(read_at=now)


POLICY_FIELDS = (
    "high_policy",
    "medium_policy",
    "low_policy",
    "digest_cadence",
    "digest_time",
    "time_zone",
    "quiet_hours_start",
    "quiet_hours_end",
)
# What a recipient may change of their own besides the policy: the language their notifications are written in.
PREFERENCE_FIELDS = (*POLICY_FIELDS, "language")


def set_policy(recipient: Recipient, **changes: Any) -> Recipient:
    """Change a recipient's delivery policy or language (``PREFERENCE_FIELDS``), checked by the model's
    ``full_clean`` (the API and the dashboard alike); ``ValidationError`` naming the field when it does not hold.

    Items already waiting for a digest stay there and go out with the next one under the new policy.
    """
    unknown = set(changes) - set(PREFERENCE_FIELDS)
    if unknown:
        raise ValidationError({name: ["not a delivery policy field"] for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(recipient, name, value)
    recipient.full_clean()
    if changes:
        recipient.save(update_fields=list(changes))
    log.info("recipient_policy_changed", recipient=recipient.pk, fields=sorted(changes))
    return recipient
