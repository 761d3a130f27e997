"""Upgrading an installation of the first version: what its stored results become (issue 10, item 4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

RELEASED = [("jobs", "0002_beacon"), ("checks", "0002_default_warehouse_rules"), ("alerts", "0001_initial")]
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_item_4_results_of_past_date_runs_stop_counting_as_current_and_alerts_stay_as_they_were() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(RELEASED)
    try:
        old = executor.loader.project_state(RELEASED).apps
        job = old.get_model("jobs", "Job").objects.create(name="old", cron="0 * * * *", checks=["x"])
        audit_job = old.get_model("jobs", "Job").objects.create(
            name="audit", cron="0 * * * *", checks=["x"], default_parameters={"date": "2026-01-31"}
        )
        results = old.get_model("checks", "CheckResult").objects

        def run(of, **parameters: object):
            execution = old.get_model("jobs", "Execution").objects.create(
                job=of, trigger="manual", status="succeeded", queued_at=NOW, started_at=NOW, parameters=parameters
            )
            results.create(execution=execution, check_name="x", warehouse="ZBOZI", status="violated")
            return execution

        today, past, by_default = run(job), run(job, date="2026-01-31"), run(audit_job)
        same_day = run(job, date="2026-11-20")
        alert = old.get_model("alerts", "Alert").objects.create(
            type="compliance_violation", severity=2, fingerprint="f", title="t", raised_at=NOW, last_seen_at=NOW
        )

        executor = MigrationExecutor(connection)
        upgraded = executor.loader.graph.leaf_nodes()  # today's schema: every migration applied
        executor.migrate(upgraded)

        new = executor.loader.project_state(upgraded).apps
        current = dict(new.get_model("checks", "CheckResult").objects.values_list("execution_id", "is_current"))
        assert current == {today.pk: True, past.pk: False, by_default.pk: False, same_day.pk: True}
        kept = new.get_model("alerts", "Alert").objects.get(pk=alert.pk)
        assert (kept.state, kept.occurrences) == ("open", 1)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
