"""Two senders meet on one delivery."""

from __future__ import annotations

from compliance_monitor.alerts.tests.conftest import T0
from compliance_monitor.notifications import sender
from compliance_monitor.notifications.models import Delivery, DeliveryStatus


def test_a_second_sender_arriving_while_a_delivery_is_being_sent_does_not_send_it_again(
    smtp, manager, raise_alert, monkeypatch
) -> None:
    """Two senders (the immediate task and the periodic sweep, or two control workers) meet on one delivery: the
    second finds it claimed and leaves it. Shown failing with the claim's ``status=PENDING`` filter removed (the
    mail is sent twice)."""
    raise_alert("MATERIAL", count=3)
    mail = Delivery.objects.get(channel="email")
    real = sender.TRANSPORTS["email"]
    second: list[object] = []

    class Racing:
        def send(self, delivery: Delivery) -> None:
            if not second:  # while the first sender is sending, another one arrives for the same row
                second.append(sender.send_one(delivery.pk, now=T0))
            real.send(delivery)

    monkeypatch.setitem(sender.TRANSPORTS, "email", Racing())
    sender.send_one(mail.pk, now=T0)

    assert second == [None]  # the second sender found it claimed
    assert smtp.received.wait(2)
    assert len(smtp.messages) == 1
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (DeliveryStatus.SENT, 1)
