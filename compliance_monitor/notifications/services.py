"""The in-app inbox: a user's messages, the unread count, marking read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from compliance_monitor.notifications.models import InboxMessage


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
