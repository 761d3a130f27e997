from __future__ import annotations

from datetime import timedelta

from compliance_monitor.jobs import retention
from compliance_monitor.jobs.models import Execution, Status


def test_old_finished_executions_are_deleted_in_batches_and_live_ones_kept(make_job, make_execution, now) -> None:
    job = make_job()
    old = now - timedelta(days=91)
    for _ in range(7):
        make_execution(job, queued_at=old, status=Status.SUCCEEDED)
    stuck = make_execution(job, queued_at=old, status=Status.RUNNING)
    recent = make_execution(job, queued_at=now - timedelta(days=89), status=Status.FAILED)

    deleted = retention.delete_old_executions(now=now, days=90, batch_size=3)

    assert deleted == 7
    assert set(Execution.objects.values_list("pk", flat=True)) == {stuck.pk, recent.pk}
