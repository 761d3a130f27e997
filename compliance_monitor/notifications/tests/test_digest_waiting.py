"""An alert's changes waiting for digests: when each is due (``digests.due``, as the sweep decides) and the alert
page listing them — waiting with its time, or in which digest and how that digest's deliveries went. T0 is
2026-06-01 08:00 UTC = 10:00 in Prague (summer time)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from compliance_monitor.alerts.models import Alert
from compliance_monitor.alerts.tests.conftest import outcome
from compliance_monitor.jobs.models import Execution
from compliance_monitor.notifications import digests, sender
from compliance_monitor.notifications.models import DigestItem, Recipient
from compliance_monitor.notifications.tests.conftest import T0

MINUTE, SECOND = timedelta(minutes=1), timedelta(seconds=1)


def manager(**policy: object) -> Recipient:
    """On the default policy: medium alerts in an hourly digest."""
    return Recipient.objects.create(name="Marta", email="marta@example.com", warehouses=["ZBOZI"], **policy)


def test_an_item_is_due_at_the_end_of_its_period_or_with_the_next_sweep_once_that_has_passed(
    run: Callable[..., Execution],
) -> None:
    """Shown failing with ``due`` answering the end of the item's period whatever ``now`` is."""
    recipient = manager()
    run(5 / 60, outcome("ZBOZI", "P1", "P2", "P3"))  # 10:05 Prague, medium
    (item,) = DigestItem.objects.all()

    assert digests.due(recipient, item.at, now=T0 + 10 * MINUTE) == T0 + 60 * MINUTE  # 11:00 Prague
    assert (
        digests.due(recipient, item.at, now=T0 + 60 * MINUTE + SECOND * 10) == T0 + 60 * MINUTE + SECOND * 10
    )  # the next sweep


def test_a_late_item_whose_periods_digest_was_built_waits_for_the_current_periods(
    run: Callable[..., Execution],
) -> None:
    """Recorded at 10:59:59 but committed after the 11:00 sweep built that hour's digest: it goes at 12:00, as
    ``plan_for`` decides. Shown failing with ``due`` not looking for the built digest (it says "now")."""
    recipient = manager()
    run(0, outcome("ZBOZI", "P1", "P2", "P3"))
    (built,) = digests.close_due(now=T0 + 60 * MINUTE + SECOND * 5)
    late = DigestItem.objects.create(
        recipient=recipient, alert=Alert.objects.get(), kind="changed", severity=2, at=T0 + 60 * MINUTE - SECOND
    )
    now = T0 + 61 * MINUTE

    assert digests.due(recipient, late.at, now=now) == T0 + 120 * MINUTE
    assert digests.plan_for(recipient, now=now) is None  # what the sweep does agrees
    assert digests.plan_for(recipient, now=T0 + 120 * MINUTE).item_ids == (late.pk,)  # type: ignore[union-attr]
    assert built.period_end == T0 + 60 * MINUTE


def test_quiet_hours_and_a_daily_cadence_move_the_time_an_item_is_due(run: Callable[..., Execution]) -> None:
    """Shown failing with ``due`` ignoring quiet hours (11:00 instead of 13:00), and with ``period_end`` hourly
    for every cadence."""
    quiet = manager(quiet_hours_start=time(10, 30), quiet_hours_end=time(13))
    daily = Recipient.objects.create(
        name="Petr", email="petr@example.com", warehouses=["ZBOZI"], digest_cadence="daily", digest_time=time(7, 30)
    )
    at = T0 + 5 * MINUTE
    now = T0 + 10 * MINUTE

    assert digests.due(quiet, at, now=now) == T0 + 3 * 60 * MINUTE  # 13:00 Prague
    assert digests.due(daily, at, now=now) == T0.replace(day=2, hour=5, minute=30)  # 07:30 Prague next day


def test_the_alert_page_lists_its_changes_waiting_for_a_digest_then_the_digest_and_its_deliveries(
    run: Callable[..., Execution], smtp: object
) -> None:
    """Shown failing with the digest items left out of the page's context."""
    manager()
    run(5 / 60, outcome("ZBOZI", "P1", "P2", "P3"))
    alert = Alert.objects.get()
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("boss", "boss@example.com", "pw"))

    with time_machine.travel(T0 + 10 * MINUTE, tick=False):
        waiting = client.get(f"/alerts/{alert.pk}/").content.decode()
    digests.close_due(now=T0 + 60 * MINUTE + SECOND * 5)
    sender.send_due(now=T0 + 60 * MINUTE + SECOND * 10)
    with time_machine.travel(T0 + 61 * MINUTE, tick=False):
        taken = client.get(f"/alerts/{alert.pk}/").content.decode()

    table = waiting.split('data-testid="digest-items"')[1].split("</table>")[0]
    assert "Marta" in table and "raised" in table and "waiting; due" in table and "11:00" in table
    table = taken.split('data-testid="digest-items"')[1].split("</table>")[0]
    assert "in the digest of" in table and "e-mail: " in table and ">sent<" in table
    assert "waiting" not in table
