from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from compliance_monitor.notifications import sender, services
from compliance_monitor.notifications.models import InboxMessage
from compliance_monitor.notifications.tests.conftest import T0


def test_the_unread_count_falls_as_messages_are_read(smtp, manager, raise_alert) -> None:
    raise_alert("MATERIAL", count=3)
    sender.send_due(now=T0)
    user = manager.user
    (message,) = services.inbox(user)
    assert services.unread_count(user) == 1

    services.mark_read(user, message.pk, now=T0)
    services.mark_read(user, message.pk, now=T0)  # idempotent

    assert services.unread_count(user) == 0


def test_nobody_reads_another_users_messages(smtp, manager, raise_alert) -> None:
    raise_alert("MATERIAL", count=3)
    sender.send_due(now=T0)
    stranger = get_user_model().objects.create_user("eve", "", "pw")
    with pytest.raises(InboxMessage.DoesNotExist):
        services.mark_read(stranger, InboxMessage.objects.get().pk, now=T0)
