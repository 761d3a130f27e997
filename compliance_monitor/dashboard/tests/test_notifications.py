from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from compliance_monitor.notifications.models import InboxMessage


def message(username: str, title: str) -> InboxMessage:
    user = get_user_model().objects.get(username=username)
    return InboxMessage.objects.create(user=user, title=title, body="body", created_at=timezone.now())


def test_the_header_shows_my_unread_count_and_polls_it(as_role) -> None:
    client = as_role("viewer")
    message("viewer-user", "first")
    message("viewer-user", "second")
    page = client.get("/notifications/").content.decode()
    assert 'data-testid="unread-count" aria-label="2 unread">2<' in page
    assert 'hx-get="/notifications/unread"' in page
    badge = client.get("/notifications/unread", headers={"HX-Request": "true"}).content.decode()
    assert ">2<" in badge and "<html" not in badge


def test_my_inbox_shows_only_my_messages(as_role) -> None:
    client = as_role("viewer")
    as_role("operator")
    message("viewer-user", "mine")
    message("operator-user", "theirs")
    page = client.get("/notifications/").content.decode()
    assert "mine" in page and "theirs" not in page


def test_marking_read_one_or_all(as_role) -> None:
    client = as_role("viewer")
    first, _ = message("viewer-user", "first"), message("viewer-user", "second")
    assert client.post(f"/notifications/{first.pk}/read").status_code == 302
    assert "1 unread" in client.get("/notifications/").content.decode()
    client.post("/notifications/read-all")
    assert "0 unread" in client.get("/notifications/").content.decode()
    assert not InboxMessage.objects.filter(read_at__isnull=True).exists()


def test_nobody_marks_anothers_message(as_role) -> None:
    as_role("operator")
    theirs = message("operator-user", "theirs")
    assert as_role("viewer").post(f"/notifications/{theirs.pk}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
