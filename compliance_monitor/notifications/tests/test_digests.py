"""Issue 16, part 2: digests and quiet hours. Time is an argument: reviews, sweeps and the sender are driven at
frozen instants (T0 = 2026-06-01 08:00 UTC = 10:00 in Prague, summer time)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from email.header import decode_header, make_header

from django.contrib.auth import get_user_model
from django.test import override_settings

from compliance_monitor.alerts import services as alert_services
from compliance_monitor.alerts.models import Alert, EventKind
from compliance_monitor.alerts.tests.conftest import outcome
from compliance_monitor.jobs.models import Execution
from compliance_monitor.notifications import digests, sender
from compliance_monitor.notifications.models import (
    Delivery,
    DeliveryStatus,
    Digest,
    DigestItem,
    InboxMessage,
    Recipient,
)
from compliance_monitor.notifications.tests.conftest import T0

STORES = [f"SKLAD{i:02d}" for i in range(1, 13)]
MINUTE = timedelta(minutes=1)


def at(minutes: float) -> float:
    """The ``run`` fixture's hour argument for T0 + ``minutes``."""
    return minutes / 60


def manager(**policy: object) -> Recipient:
    """A warehouse manager with e-mail and an inbox, on the default policy unless told otherwise."""
    user = get_user_model().objects.create_user("marta", "marta@example.com", "pw")
    return Recipient.objects.create(
        name="Marta", email="marta@example.com", user=user, warehouses=[*STORES, "MATERIAL", "ZBOZI"], **policy
    )


def subjects(smtp: object) -> list[str]:
    return [str(make_header(decode_header(mail["Subject"]))).replace("\r\n", "") for mail in smtp.messages]  # type: ignore[attr-defined]


@override_settings(CM_PUBLIC_URL="https://cm.example.com")
def test_a_manager_on_the_digest_policy_gets_one_email_an_hour_listing_twelve_medium_alerts_not_twelve(
    smtp, run: Callable[..., Execution]
) -> None:
    """Twelve medium alerts within an hour and a critical one among them: the critical one is mailed at once, the
    twelve in one digest after the hour ends (a real SMTP server counts the mails). Shown failing with the outbox
    ignoring the policy (``later = []`` in ``outbox.enqueue``: thirteen mails) and with ``plan_for`` taking items
    up to ``now`` instead of the period's end (the digest is sent before the hour is over)."""
    manager()
    for i, store in enumerate(STORES):
        run(at(5 * i), outcome(store, "P1", "P2", "P3"))  # 3 offenders: medium
        sender.send_due(now=T0 + 5 * i * MINUTE)
        if i == 6:
            run(at(31), outcome("MATERIAL", *(f"P{n:02d}" for n in range(12))))  # critical
            sender.send_due(now=T0 + 31 * MINUTE)
    assert smtp.received.wait(2)
    assert subjects(smtp) == ["CRITICAL: 12 misplaced products in warehouse MATERIAL (Built-in demo company)"]

    assert digests.close_due(now=T0 + 59 * MINUTE) == []  # the hour is not over
    (digest,) = digests.close_due(now=T0 + 60 * MINUTE + timedelta(seconds=20))
    assert digests.close_due(now=T0 + 61 * MINUTE) == []  # built once
    sender.send_due(now=T0 + 61 * MINUTE)

    assert len(smtp.messages) == 2
    mail = smtp.messages[1]
    assert subjects(smtp)[1] == "Digest: 12 alerts, 2026-06-01 10:00–11:00 CEST"
    body = mail.get_payload().replace("\r\n", "\n")
    assert "Company: Built-in demo company (demo)\n" in body and "(12 raised)" in body
    for store in STORES:
        alert = Alert.objects.get(warehouse=store)
        assert f"  Warehouse {store}\n" in body
        assert f"https://cm.example.com/alerts/{alert.pk}/" in body
        assert alert.events.filter(kind=EventKind.NOTIFIED, detail__digest=digest.pk).count() == 2  # mail, inbox
    assert "MATERIAL" not in body
    assert Delivery.objects.filter(alert__warehouse__in=STORES).count() == 0  # no per-alert delivery at all
    assert InboxMessage.objects.filter(title__startswith="Digest: 12 alerts").count() == 1


@override_settings(TIME_ZONE="UTC")
def test_a_daily_digest_goes_out_at_the_chosen_local_time_in_prague(smtp, run: Callable[..., Execution]) -> None:
    """Daily at 07:30 in Europe/Prague (the service runs in UTC): 05:30 UTC in summer. Shown failing with
    ``policy.zone`` ignoring the recipient's zone (the digest waits until 07:30 UTC)."""
    manager(digest_cadence="daily", digest_time=time(7, 30), time_zone="Europe/Prague")
    run(0, outcome("ZBOZI", "P1", "P2"))
    run(at(300), outcome("SKLAD01", "P1"))  # 15:00 Prague

    next_morning = T0.replace(day=2, hour=5, minute=30)  # 07:30 Prague
    assert digests.close_due(now=next_morning - MINUTE) == []
    (digest,) = digests.close_due(now=next_morning)
    sender.send_due(now=next_morning)

    assert (digest.period_start, digest.period_end) == (T0.replace(hour=5, minute=30), next_morning)
    assert subjects(smtp) == ["Digest: 2 alerts, 2026-06-01 07:30 – 2026-06-02 07:30 CEST"]
    assert "raised 10:00 (medium)" in smtp.messages[0].get_payload()  # local times


def test_quiet_hours_hold_a_high_alert_until_they_end_but_let_a_critical_through(
    smtp, run: Callable[..., Execution]
) -> None:
    """Quiet 22:00–07:00 Prague; at midnight a high and a critical alert: the critical one is mailed at once, the
    high one at 07:00 (05:00 UTC). Shown failing with ``quiet_until`` always None (the high one goes at once) and
    with ``urgent`` ignoring the critical severity (the critical one waits)."""
    manager(quiet_hours_start=time(22), quiet_hours_end=time(7))
    midnight = T0 + timedelta(hours=14)  # 22:00 UTC = 00:00 Prague
    run(14, outcome("ZBOZI", *(f"P{n}" for n in range(7))), outcome("MATERIAL", *(f"P{n:02d}" for n in range(12))))

    sender.send_due(now=midnight)
    assert subjects(smtp) == ["CRITICAL: 12 misplaced products in warehouse MATERIAL (Built-in demo company)"]
    held = Delivery.objects.get(alert__warehouse="ZBOZI", channel="email")
    assert (held.status, held.next_attempt_at) == (DeliveryStatus.PENDING, T0.replace(day=2, hour=5))

    assert sender.send_due(now=T0.replace(day=2, hour=4, minute=59)) == 0
    sender.send_due(now=T0.replace(day=2, hour=5))
    assert subjects(smtp)[1] == "[HIGH] 7 misplaced products in warehouse ZBOZI (Built-in demo company)"


def test_a_digest_due_in_quiet_hours_is_held_and_the_night_goes_out_as_one(run: Callable[..., Execution]) -> None:
    """Hourly digests, quiet 22:00–07:00 Prague: the medium alerts of the night come in one digest at 07:00.
    Shown failing with ``plan_for`` not checking quiet hours (a digest at 01:00 and one at 04:00)."""
    recipient = manager(quiet_hours_start=time(22), quiet_hours_end=time(7))
    run(14, outcome("ZBOZI", "P1"))  # 00:00 Prague
    run(16.5, outcome("SKLAD01", "P1"))  # 02:30 Prague
    for hour in range(15, 21):  # 01:00 … 06:00 Prague
        assert digests.close_due(now=T0 + timedelta(hours=hour, seconds=30)) == []

    (digest,) = digests.close_due(now=T0 + timedelta(hours=21, seconds=30))  # 07:00:30 Prague

    assert (digest.recipient, digest.items.count()) == (recipient, 2)
    assert (digest.period_start, digest.period_end) == (T0 + timedelta(hours=14), T0 + timedelta(hours=21))


def test_two_sweeps_at_once_build_one_digest(run: Callable[..., Execution]) -> None:
    """Both sweeps read the pending items before either claims them: the second one's claim takes nothing and its
    digest is rolled back. Shown failing with the row-count check removed from ``digests._claim`` (two digests,
    each with its deliveries: every e-mail twice)."""
    recipient = manager()
    run(0, outcome("ZBOZI", "P1"))
    run(at(10), outcome("SKLAD01", "P1"))
    now = T0 + timedelta(hours=1, seconds=5)
    first, second = (digests.plan_for(recipient, now=now) for _ in range(2))
    assert first is not None and second is not None

    built = [digests.build(first, now=now), digests.build(second, now=now)]

    assert built[1] is None and Digest.objects.count() == 1
    assert sorted(Delivery.objects.values_list("digest_id", "channel")) == [
        (built[0].pk, "email"),
        (built[0].pk, "in_app"),
    ]
    assert not DigestItem.objects.filter(digest__isnull=True).exists()


@override_settings(CM_NOTIFY_MAX_ATTEMPTS=3, CM_NOTIFY_BACKOFF_SECONDS=30)
def test_a_digest_is_retried_with_backoff_then_falls_back_to_the_inbox(
    smtp_down, run: Callable[..., Execution]
) -> None:
    """SMTP down: the digest's e-mail is retried (30 s, 60 s), then falls back to the inbox with the digest's
    text. Shown failing with ``_fall_back`` not carrying the digest over (the inbox gets no company's part)."""
    recipient = manager()
    run(0, outcome("ZBOZI", "P1"))
    start = T0 + timedelta(hours=1)
    (digest,) = digests.close_due(now=start)
    mail = Delivery.objects.get(digest=digest, channel="email")

    for seconds in (0, 29, 30, 90):
        sender.send_due(now=start + timedelta(seconds=seconds))

    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (DeliveryStatus.FAILED, 3) and "SMTP server unavailable" in mail.last_error
    fallback = Delivery.objects.get(fallback_of=mail)
    assert (fallback.channel, fallback.status, fallback.digest_id) == ("in_app", DeliveryStatus.SENT, digest.pk)
    inbox = InboxMessage.objects.filter(user=recipient.user, connection="demo")
    assert inbox.count() == 2  # the digest's own in-app delivery and the fallback
    assert all("Warehouse ZBOZI" in message.body for message in inbox)


def test_changed_and_resolved_alerts_appear_in_the_digest(smtp, run: Callable[..., Execution]) -> None:
    """Raised medium, rose to high (mailed at once: high is immediate), fell back to medium; another resolved by a
    run, a third resolved by hand: the digest tells each change. Shown failing with ``raising`` not calling
    ``outbox.note`` (no changed or resolved lines) and with ``alerts.services.resolve`` not calling it (no line for
    the one resolved by hand)."""
    manager()
    run(0, outcome("ZBOZI", "P1"), outcome("SKLAD01", "P1"), outcome("SKLAD02", "P1"))
    run(at(20), outcome("ZBOZI", *(f"P{n}" for n in range(7))), outcome("SKLAD01"))  # high; SKLAD01 fixed
    run(at(40), outcome("ZBOZI", "P1", "P2"))  # back to medium
    by_hand = Alert.objects.get(warehouse="SKLAD02")
    alert_services.resolve(by_hand, by="marta", notes="moved", now=T0 + 50 * MINUTE)

    assert len(digests.close_due(now=T0 + timedelta(hours=1))) == 1
    sender.send_due(now=T0 + timedelta(hours=1))

    assert subjects(smtp) == [
        "[HIGH] 7 misplaced products in warehouse ZBOZI (Built-in demo company)",
        "Digest: 3 alerts, 2026-06-01 10:00–11:00 CEST",
    ]
    body = smtp.messages[1].get_payload()
    assert "(3 raised, 1 changed, 2 resolved)" in body
    assert "raised 10:00 (medium), changed 10:40 (medium)" in body  # ZBOZI; its rise was mailed, not digested
    assert "raised 10:00 (medium), resolved 10:20 (medium)" in body  # SKLAD01, by the run
    assert "raised 10:00 (medium), resolved 10:50 (medium)" in body  # SKLAD02, by hand


def test_a_recipient_whose_digest_cannot_be_built_holds_up_nobody_else(run: Callable[..., Execution]) -> None:
    """One recipient's broken policy (a time zone gone after a tzdata update falls back to the service's; any other
    error is logged) never stops the others' digests. Shown failing with ``close_due`` planning every recipient
    outside ``_close``'s guard (the second recipient's digest is never built)."""
    marta = manager()
    Recipient.objects.filter(pk=marta.pk).update(time_zone="Mars/Olympus_Mons")  # stored before tzdata lost it
    lead = get_user_model().objects.create_user("tomas", "tomas@example.com", "pw")
    tomas = Recipient.objects.create(name="Tomas", email="tomas@example.com", user=lead, warehouses=["ZBOZI"])
    run(at(5), outcome("ZBOZI", "P1"))

    def broken(recipient: Recipient, *, now: object) -> object:
        if recipient.pk == marta.pk:
            raise RuntimeError("a bug in one recipient's policy")
        return real(recipient, now=now)

    real = digests.plan_for
    digests.plan_for = broken  # type: ignore[assignment]
    try:
        built = digests.close_due(now=T0 + timedelta(hours=1, seconds=30))
    finally:
        digests.plan_for = real  # type: ignore[assignment]

    assert [digest.recipient for digest in built] == [tomas]
    (marta_digest,) = digests.close_due(now=T0 + timedelta(hours=1, seconds=40))  # the unknown zone: the service's
    assert marta_digest.recipient == marta
