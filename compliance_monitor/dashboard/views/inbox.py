"""The signed-in user's in-app notifications, and the header's unread count.

A user limited to some companies sees only the messages of their companies' alerts (``access.visible_inbox``).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from compliance_monitor.accounts import access
from compliance_monitor.dashboard.views.common import is_htmx, page, paginate, signed_in
from compliance_monitor.notifications import services
from compliance_monitor.notifications.models import InboxMessage

INBOX_PAGE = 50


@require_GET
@signed_in
def inbox(request: HttpRequest) -> HttpResponse:
    messages = paginate(request, access.visible_inbox(request.user).select_related("alert"), INBOX_PAGE)
    template = "dashboard/_inbox_live.html" if is_htmx(request) else "dashboard/inbox.html"
    return page(request, template, {"messages_page": messages, "unread": access.unread_count(request.user)})


@require_GET
@signed_in
def unread_badge(request: HttpRequest) -> HttpResponse:
    return page(request, "dashboard/_unread_badge.html", {"unread": access.unread_count(request.user)})


@require_POST
@signed_in
def mark_read(request: HttpRequest, message_id: int) -> HttpResponse:
    if not access.visible_inbox(request.user).filter(pk=message_id).exists():
        raise Http404("no such message in your inbox")  # another's message (or another company's): not revealed
    try:
        services.mark_read(request.user, message_id, now=timezone.now())
    except InboxMessage.DoesNotExist:  # deleted meanwhile
        raise Http404("no such message in your inbox") from None
    return redirect("dashboard:inbox")


@require_POST
@signed_in
def mark_all_read(request: HttpRequest) -> HttpResponse:
    access.visible_inbox(request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("dashboard:inbox")
