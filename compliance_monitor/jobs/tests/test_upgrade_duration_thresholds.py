"""jobs/0008 from the schema before it: a job that existed gets the default duration thresholds, its settings kept."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

PREVIOUS = [("jobs", "0007_pending_last_seen")]


@pytest.mark.django_db(transaction=True)
def test_a_job_from_before_the_upgrade_gets_the_default_thresholds_and_keeps_its_settings() -> None:
    """Shown failing with the default of ``slow_run_timeout_percent`` changed to 90 in the migration (not the model:
    the model check then fails with "missing migration" in tests/unit/test_migrations.py)."""
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS)
    try:
        old = executor.loader.project_state(PREVIOUS).apps
        erp = old.get_model("erp", "Connection").objects.create(name="acme", base_url="https://erp.example.com")
        old.get_model("jobs", "Job").objects.create(
            name="stock", cron="0 * * * *", checks=["x"], connection=erp, timeout_seconds=600
        )

        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    from compliance_monitor.jobs.models import Job

    job = Job.objects.get(name="stock")
    thresholds = (job.slow_run_factor, job.slow_run_margin_seconds, job.slow_run_timeout_percent, job.short_run_percent)
    assert (job.timeout_seconds, thresholds) == (600, (2.0, 300, 80, 10))
