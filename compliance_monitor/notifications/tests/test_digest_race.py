"""Two sweeps really at once (two threads, two database connections, committed transactions): one digest."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection

from compliance_monitor.alerts.tests.conftest import outcome
from compliance_monitor.jobs.models import Execution
from compliance_monitor.notifications import digests
from compliance_monitor.notifications.models import Delivery, Digest, DigestItem, Recipient
from compliance_monitor.notifications.tests.conftest import T0


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_in_two_connections_at_once_build_one_digest(run: Callable[..., Execution]) -> None:
    """Both sweeps plan the same items, then build at the same moment: the loser's claim waits for the winner's
    transaction (PostgreSQL row locks; SQLite's write lock) and takes nothing, so its digest is rolled back.
    Shown failing with the row-count check removed from ``digests._claim`` (two digests, two e-mails)."""
    recipient = Recipient.objects.create(name="Marta", email="marta@example.com", warehouses=["ZBOZI", "MATERIAL"])
    run(0, outcome("ZBOZI", "P1"), outcome("MATERIAL", "P1"))
    now = T0 + timedelta(hours=1, seconds=5)
    planned = threading.Barrier(2)
    built: list[object] = []
    failed: list[BaseException] = []

    def sweep() -> None:
        try:
            plan = digests.plan_for(recipient, now=now)
            planned.wait(timeout=10)  # both planned before either builds
            assert plan is not None
            built.append(digests.build(plan, now=now))
        except BaseException as exc:  # noqa: BLE001 — reported by the test thread
            failed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not failed, failed
    assert sorted(digest is None for digest in built) == [False, True]
    assert Digest.objects.count() == 1 and Delivery.objects.filter(channel="email").count() == 1
    assert DigestItem.objects.filter(digest__isnull=True).count() == 0
