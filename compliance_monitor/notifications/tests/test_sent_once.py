"""A delivery the transport took is recorded sent at once: a failure while writing its alert's history afterwards
(a deadlock with a review locking the same alert, the database gone for a moment) is logged, and the message is
never sent again. Shown failing with ``_sent`` back in one transaction with the history (the delivery goes back
to pending and a second e-mail follows)."""

from __future__ import annotations

from datetime import timedelta

from django.db import DatabaseError

from compliance_monitor.alerts.models import AlertEvent
from compliance_monitor.notifications import sender
from compliance_monitor.notifications.models import Delivery, DeliveryStatus
from compliance_monitor.notifications.tests.conftest import T0


def test_a_history_that_cannot_be_written_never_sends_the_message_again(
    smtp, manager, raise_alert, monkeypatch
) -> None:
    raise_alert("MATERIAL", count=3)
    mail = Delivery.objects.get(channel="email")

    def deadlock(*args: object, **kwargs: object) -> None:
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr(AlertEvent.objects, "create", deadlock)
    sender.send_one(mail.pk, now=T0)
    monkeypatch.undo()
    for minutes in (1, 10, 60):  # retries and the stuck-delivery sweep would send it again
        sender.send_due(now=T0 + timedelta(minutes=minutes))

    assert smtp.received.wait(2)
    assert len([m for m in smtp.messages if m["To"] == "marta@example.com"]) == 1
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (DeliveryStatus.SENT, 1)
