"""The SMTP server down for a while, then back (a real aiosmtpd server started on the port mid-way), with a chat
endpoint that never answers: every notification ends delivered once — on its own channel, or on its fallback
(Apprise → e-mail, e-mail → in-app) — none lost, none twice, nothing left pending. Time is an argument: the
sender is driven minute by minute. Shown failing (each caught) with ``CM_NOTIFY_FALLBACK = {}`` (deliveries lost)
and with ``_fall_back`` creating its fallback twice (a second e-mail for the same delivery)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.test import override_settings

from compliance_monitor.alerts.tests.conftest import outcome
from compliance_monitor.jobs.models import Execution
from compliance_monitor.notifications import sender
from compliance_monitor.notifications.models import Delivery, DeliveryStatus, InboxMessage, Recipient
from compliance_monitor.notifications.tests.conftest import AT_ONCE, T0, Inbox, free_port

EARLY, LATE = ["MATERIAL", "ZBOZI", "POLOTOVARY"], ["EXPEDICE", "VYROBKY"]


def delivered(delivery: Delivery) -> bool:
    """Sent on its channel, or failed with a fallback that was (transitively) delivered."""
    if delivery.status == DeliveryStatus.SENT:
        return True
    fallbacks = list(Delivery.objects.filter(fallback_of=delivery))
    return delivery.status == DeliveryStatus.FAILED and len(fallbacks) == 1 and delivered(fallbacks[0])


@override_settings(CM_NOTIFY_MAX_ATTEMPTS=3, CM_NOTIFY_BACKOFF_SECONDS=30)
def test_an_smtp_outage_ends_with_every_notification_delivered_once_on_its_channel_or_its_fallback(
    run: Callable[..., Execution],
) -> None:
    user = get_user_model().objects.create_user("marta", "marta@example.com", "pw")
    Recipient.objects.create(name="store", email="marta@example.com", user=user, warehouses=EARLY + LATE, **AT_ONCE)
    dead_chat = f"json://127.0.0.1:{free_port()}/hook"
    lead = get_user_model().objects.create_user("tomas", "tomas@example.com", "pw")  # e-mail's fallback: the inbox
    Recipient.objects.create(
        name="lead", apprise_url=dead_chat, email="tomas@example.com", user=lead, warehouses=EARLY + LATE, **AT_ONCE
    )
    inbox, port = Inbox(), free_port()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=port
    ):
        run(0, *(outcome(warehouse, "P1", "P2", "P3") for warehouse in EARLY))
        for at in (0, 30, 90):  # nobody listens: the early e-mails use up their attempts, fall back to the inbox
            sender.send_due(now=T0 + timedelta(seconds=at))
        run(1, *(outcome(warehouse, "P1", "P2", "P3") for warehouse in EARLY + LATE))  # the early ones persist
        sender.send_due(now=T0 + timedelta(hours=1))
        smtp = Controller(inbox, hostname="127.0.0.1", port=port)
        smtp.start()  # the SMTP server is back
        try:
            for minute in range(1, 10):
                sender.send_due(now=T0 + timedelta(hours=1, minutes=minute))
        finally:
            smtp.stop()

    originals = list(Delivery.objects.filter(fallback_of__isnull=True))
    assert len(originals) == 5 * 5  # each alert: the store's e-mail and inbox; the lead's e-mail, inbox, webhook
    assert all(delivered(delivery) for delivery in originals)
    assert not Delivery.objects.exclude(status__in=[DeliveryStatus.SENT, DeliveryStatus.FAILED]).exists()
    fell_back = Counter(Delivery.objects.filter(fallback_of__isnull=False).values_list("channel", flat=True))
    assert fell_back == {"in_app": 3 + 3, "email": 5}  # early e-mails (store and lead) → inbox; every webhook → e-mail

    mailed = Counter((mail["To"], mail["Subject"].replace("\r\n", "")) for mail in inbox.messages)
    sent = Delivery.objects.filter(channel="email", status=DeliveryStatus.SENT)
    assert mailed == Counter(sent.values_list("recipient__email", "subject"))  # each sent delivery mailed once
    assert (
        InboxMessage.objects.filter(user=user).count()
        == Delivery.objects.filter(channel="in_app", status=DeliveryStatus.SENT, recipient__user=user).count()
    )
