"""Item 11 of issue 10: whatever goes wrong sending one delivery, it is recorded and the batch goes on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.test import override_settings

from compliance_monitor.alerts.models import Alert
from compliance_monitor.alerts.tests.conftest import T0, outcome
from compliance_monitor.notifications import sender, transports
from compliance_monitor.notifications.models import Channel, Delivery, DeliveryStatus, InboxMessage, Recipient
from compliance_monitor.notifications.tests.conftest import AT_ONCE


class AcceptingTransport:
    def send(self, delivery: Delivery) -> None:
        pass


class BrokenTransport:
    def send(self, delivery: Delivery) -> None:
        raise RuntimeError("boom: a bug in the transport")


@pytest.fixture
def two_deliveries(run, db) -> Callable[[], tuple[Delivery, Delivery]]:
    """A broken Apprise delivery at the head of the queue, an in-app delivery behind it."""

    def make() -> tuple[Delivery, Delivery]:
        user = get_user_model().objects.create_user("zora", "zora@example.com", "pw")
        Recipient.objects.create(name="hook", apprise_url="json://127.0.0.1:9/hook", warehouses=["ZBOZI"], **AT_ONCE)
        Recipient.objects.create(name="Zora", user=user, warehouses=["ZBOZI"], **AT_ONCE)
        run(0, outcome("ZBOZI", "P001", "P002"))
        Delivery.objects.filter(channel=Channel.APPRISE).update(next_attempt_at=T0 - timedelta(seconds=1))
        return Delivery.objects.get(channel=Channel.APPRISE), Delivery.objects.get(channel=Channel.IN_APP)

    return make


@override_settings(CM_NOTIFY_MAX_ATTEMPTS=2, CM_NOTIFY_BACKOFF_SECONDS=30)
def test_item_11_a_transport_raising_runtime_error_is_recorded_retried_and_the_batch_goes_on(
    two_deliveries, monkeypatch
) -> None:
    monkeypatch.setitem(transports.TRANSPORTS, Channel.APPRISE, BrokenTransport())
    broken, inbox = two_deliveries()

    assert sender.send_due(now=T0) == 1

    inbox.refresh_from_db()
    broken.refresh_from_db()
    assert inbox.status == DeliveryStatus.SENT and InboxMessage.objects.count() == 1
    assert (broken.status, broken.attempts, broken.next_attempt_at) == (
        DeliveryStatus.PENDING,
        1,
        T0 + timedelta(seconds=30),
    )
    assert "RuntimeError (details withheld" in broken.last_error  # an Apprise error may quote its URL
    assert "boom" not in broken.last_error

    sender.send_due(now=T0 + timedelta(seconds=30))  # the second and last attempt
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == (DeliveryStatus.FAILED, 2) and "RuntimeError" in broken.last_error


def test_item_11_a_database_error_recording_the_send_is_retried_not_left_sending(two_deliveries, monkeypatch) -> None:
    broken, inbox = two_deliveries()
    monkeypatch.setitem(transports.TRANSPORTS, Channel.APPRISE, AcceptingTransport())

    real_sent = sender._sent

    def sent_fails_for_the_first(delivery: Delivery, now) -> None:
        if delivery.pk == broken.pk:
            raise DatabaseError("disk I/O error")
        real_sent(delivery, now)

    monkeypatch.setattr(sender, "_sent", sent_fails_for_the_first)

    assert sender.send_due(now=T0) == 1

    broken.refresh_from_db()
    assert broken.status == DeliveryStatus.PENDING and "DatabaseError (details withheld" in broken.last_error
    assert Delivery.objects.get(pk=inbox.pk).status == DeliveryStatus.SENT


def test_item_11_when_even_the_failure_cannot_be_recorded_the_batch_goes_on_and_the_sweep_revives_it(
    two_deliveries, monkeypatch
) -> None:
    monkeypatch.setitem(transports.TRANSPORTS, Channel.APPRISE, BrokenTransport())
    broken, inbox = two_deliveries()
    real_failed = sender._failed

    def database_down(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(sender, "_failed", database_down)
    assert sender.send_due(now=T0) == 1
    assert Delivery.objects.get(pk=inbox.pk).status == DeliveryStatus.SENT

    monkeypatch.setattr(sender, "_failed", real_failed)
    sender.send_due(now=T0 + sender.STUCK_AFTER + timedelta(seconds=1))
    broken.refresh_from_db()
    assert broken.status == DeliveryStatus.PENDING and broken.attempts == 2 and "RuntimeError" in broken.last_error
    assert Alert.objects.count() == 1
