"""checks/0008 from the schema before it: a stored result keeps its violations and counts and lists nothing as
accepted (so the next run's diff and its alert see the same problems as before: the migration adds a field and a
table, and touches no alert)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

PREVIOUS = [("checks", "0007_original_reports_as_definition")]


@pytest.mark.django_db(transaction=True)
def test_a_result_from_before_the_upgrade_keeps_its_violations_and_lists_none_as_accepted() -> None:
    """Shown failing with the new field's default changed to ``None`` in the migration (the upgraded row has no
    list, and the run page's and the diff's readers would meet ``None``)."""
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS)
    try:
        old = executor.loader.project_state(PREVIOUS).apps
        # Only the checks app goes back: the run its result belongs to is made with today's models.
        from compliance_monitor.jobs import services
        from compliance_monitor.jobs.models import Execution

        job = services.create_job(now=timezone.now(), name="stock", cron="0 * * * *", checks=["diagnostics.pass"])
        run = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())
        result = old.get_model("checks", "CheckResult").objects.create(
            execution_id=run.pk,
            connection="acme",
            check_name="c",
            warehouse="ZBOZI",
            status="violated",
            violation_count=1,
        )
        old.get_model("checks", "Violation").objects.create(result=result, warehouse="ZBOZI", product_code="Z1")

        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    from compliance_monitor.checks.models import AcceptedException, CheckResult

    upgraded = CheckResult.objects.get(warehouse="ZBOZI")
    assert (upgraded.violation_count, upgraded.accepted) == (1, [])
    assert list(upgraded.violations.values_list("product_code", flat=True)) == ["Z1"]
    assert not AcceptedException.objects.exists()
