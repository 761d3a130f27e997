from __future__ import annotations

from datetime import timedelta

from django.test import override_settings

from compliance_monitor.alerts.models import EventKind
from compliance_monitor.notifications import sender
from compliance_monitor.notifications.models import Delivery, DeliveryStatus, InboxMessage, Recipient
from compliance_monitor.notifications.tests.conftest import AT_ONCE, T0


def test_a_critical_alert_is_mailed_to_the_warehouse_manager_with_the_facts(smtp, manager, raise_alert) -> None:
    alert = raise_alert("MATERIAL", count=12)

    assert sender.send_due(now=T0) == 2  # e-mail and in-app

    assert smtp.received.wait(2)
    (mail,) = smtp.messages
    assert mail["To"] == "marta@example.com"
    assert (
        mail["Subject"].replace("\r\n", "")
        == "CRITICAL: 12 misplaced products in warehouse MATERIAL (Built-in demo company)"
    )
    body = mail.get_payload()
    for fact in ("Warehouse:  MATERIAL", "Violations: 12", f"Execution:  {alert.execution_id}", "P000 (1ks)"):
        assert fact in body
    alert.refresh_from_db()
    assert sorted(alert.channels_notified) == ["email", "in_app"]
    assert alert.events.filter(kind=EventKind.NOTIFIED).count() == 2


def test_the_in_app_inbox_gets_the_message_and_counts_it_unread(smtp, manager, raise_alert) -> None:
    raise_alert("MATERIAL", count=3)
    sender.send_due(now=T0)
    assert InboxMessage.objects.filter(user=manager.user, read_at__isnull=True).count() == 1
    assert Delivery.objects.get(channel="in_app").subject.startswith("[MEDIUM] 3 misplaced")


@override_settings(CM_NOTIFY_MAX_ATTEMPTS=3, CM_NOTIFY_BACKOFF_SECONDS=30)
def test_smtp_down_is_retried_with_backoff_then_falls_back_to_the_inbox(smtp_down, manager, raise_alert) -> None:
    raise_alert("MATERIAL", count=3)
    mail = Delivery.objects.get(channel="email")

    sender.send_due(now=T0)
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.next_attempt_at) == (DeliveryStatus.PENDING, 1, T0 + timedelta(seconds=30))
    assert "SMTP server unavailable" in mail.last_error
    assert sender.send_due(now=T0 + timedelta(seconds=29)) == 0  # not due yet

    sender.send_due(now=T0 + timedelta(seconds=30))
    sender.send_due(now=T0 + timedelta(seconds=90))
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (DeliveryStatus.FAILED, 3)
    fallback = Delivery.objects.get(fallback_of=mail)
    assert (fallback.channel, fallback.status) == ("in_app", DeliveryStatus.SENT)
    assert InboxMessage.objects.filter(user=manager.user).count() == 2  # its own in-app delivery + the fallback


def test_an_undeliverable_notification_without_fallback_stays_visible_as_failed(smtp_down, raise_alert, db) -> None:
    Recipient.objects.create(name="mail only", email="ops@example.com", warehouses=["MATERIAL"], **AT_ONCE)
    raise_alert("MATERIAL", count=3)
    with override_settings(CM_NOTIFY_MAX_ATTEMPTS=1):
        sender.send_due(now=T0)
    (delivery,) = Delivery.objects.all()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error


def test_an_apprise_webhook_receives_the_notification(webhook, raise_alert, db) -> None:
    port = webhook.server_address[1]
    Recipient.objects.create(
        name="team chat", apprise_url=f"json://127.0.0.1:{port}/hook", warehouses=["ZBOZI"], **AT_ONCE
    )
    raise_alert("ZBOZI", count=7)

    assert sender.send_due(now=T0) == 1

    (payload,) = webhook.received
    assert (
        payload["title"] == "[HIGH] 7 misplaced products in warehouse ZBOZI (Built-in demo company)"
        and "Violations: 7" in payload["message"]
    )


def test_a_refused_apprise_endpoint_is_retried(raise_alert, db) -> None:
    from compliance_monitor.notifications.tests.conftest import free_port

    Recipient.objects.create(
        name="dead hook", apprise_url=f"json://127.0.0.1:{free_port()}/x", warehouses=["ZBOZI"], **AT_ONCE
    )
    raise_alert("ZBOZI", count=2)
    sender.send_due(now=T0)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and "did not accept" in delivery.last_error


def test_two_senders_never_send_the_same_delivery(smtp, manager, raise_alert) -> None:
    raise_alert("MATERIAL", count=3)
    mail = Delivery.objects.get(channel="email")
    assert sender.send_one(mail.pk, now=T0) == DeliveryStatus.SENT
    assert sender.send_one(mail.pk, now=T0) is None
    assert len(smtp.messages) == 1
