"""/api/v1/notifications — the caller's in-app inbox (a user limited to some companies: their alerts' messages)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router

from compliance_monitor.accounts import access
from compliance_monitor.api.routers.common import ERRORS
from compliance_monitor.api.schemas import InboxMessageOut, InboxOut
from compliance_monitor.notifications import services
from compliance_monitor.notifications.models import InboxMessage

router = Router(tags=["notifications"])
INBOX_LIMIT = 100


@router.get("", response={200: InboxOut, **ERRORS}, summary="My inbox (newest 100) and unread count")
def inbox(request: HttpRequest) -> dict[str, Any]:
    messages = access.visible_inbox(request.user)
    return {"unread": access.unread_count(request.user), "items": list(messages[:INBOX_LIMIT])}


@router.post("/{message_id}/read", response={200: InboxMessageOut, **ERRORS}, summary="Mark one of mine read")
def mark_read(request: HttpRequest, message_id: int) -> InboxMessage:
    # Anyone signed in may mark their own messages read (it changes only their own view); others' are a 404, and
    # so are a limited user's messages of another company's alerts (not shown to them).
    get_object_or_404(access.visible_inbox(request.user), pk=message_id)
    return services.mark_read(request.user, message_id, now=timezone.now())
