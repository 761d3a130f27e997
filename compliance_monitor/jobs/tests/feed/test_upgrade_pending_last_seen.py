"""jobs/0007 from the schema before it, with a scope waiting: it keeps waiting, and a full run that started after
its change still covers it — as it did before the upgrade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

PREVIOUS = [("jobs", "0006_change_feed")]
SEEN = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_a_scope_waiting_at_the_upgrade_keeps_its_causes_and_is_last_seen_when_first_seen() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS)
    try:
        old = executor.loader.project_state(PREVIOUS).apps
        erp = old.get_model("erp", "Connection").objects.create(name="acme", base_url="https://erp.example.com")
        job = old.get_model("jobs", "Job").objects.create(name="stock", cron="0 * * * *", checks=["x"], connection=erp)
        old.get_model("jobs", "PendingRecheck").objects.create(
            job=job, check_name="x", scopes=["ZBOZI"], causes=[{"version": 1001}], change_count=2,
            first_seen_at=SEEN, due_at=SEEN + timedelta(seconds=5),
        )  # fmt: skip

        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    from compliance_monitor.jobs.models import PendingRecheck

    pending = PendingRecheck.objects.get()
    assert (pending.scopes, pending.change_count, pending.last_seen_at) == (["ZBOZI"], 2, SEEN)
