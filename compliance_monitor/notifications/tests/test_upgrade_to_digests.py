"""notifications/0004 from the schema before it, with real rows: a recipient that existed keeps being told of every
alert at once, its deliveries keep their alert, and a recipient created after the upgrade gets the new defaults."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

PREVIOUS = [("notifications", "0003_recipient_and_window_connection")]
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)  # schema changes on SQLite: outside a test transaction
def test_existing_recipients_stay_immediate_and_deliveries_keep_their_alert_after_the_upgrade() -> None:
    """Shown failing with the migration's ``keep_existing_recipients_immediate`` step removed (Marta's medium
    alerts would silently become an hourly digest)."""
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS)
    try:
        others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "notifications"]
        old = executor.loader.project_state([*PREVIOUS, *others]).apps  # alerts as they are now
        marta = old.get_model("notifications", "Recipient").objects.create(
            name="Marta", email="marta@example.com", warehouses=["MATERIAL"]
        )
        alert = old.get_model("alerts", "Alert").objects.create(
            type="compliance_violation", severity=2, fingerprint="f", title="3 misplaced", raised_at=T0, last_seen_at=T0
        )
        delivery = old.get_model("notifications", "Delivery").objects.create(
            alert=alert, recipient=marta, channel="email", reason="raised", subject="s", body="b", status="sent",
            next_attempt_at=T0, created_at=T0,
        )  # fmt: skip

        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    from compliance_monitor.notifications.models import Delivery, Recipient

    marta = Recipient.objects.get(pk=marta.pk)
    assert (marta.high_policy, marta.medium_policy, marta.low_policy) == ("immediate", "immediate", "immediate")
    assert (marta.digest_cadence, marta.time_zone, marta.quiet_hours_start) == ("hourly", "", None)
    after = Delivery.objects.get(pk=delivery.pk)
    assert (after.alert_id, after.digest_id, after.status) == (alert.pk, None, "sent")
    new = Recipient.objects.create(name="Petr", email="petr@example.com")
    assert (new.high_policy, new.medium_policy, new.low_policy) == ("immediate", "digest", "digest")
