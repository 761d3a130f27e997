from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from compliance_monitor.jobs.models import Execution, Status
from tests.acceptance.helpers import make_job, trigger, wait_final

pytestmark = pytest.mark.workers


def _trigger_in_thread(job_id: int) -> Execution:
    from compliance_monitor.jobs.models import Job

    try:
        return trigger(Job.objects.get(pk=job_id))
    finally:
        connection.close()


def test_concurrent_triggers_on_two_workers_run_one_at_a_time_and_skip_the_rest(engine: list) -> None:
    job = make_job(checks=["diagnostics.sleep"], default_parameters={"seconds": 1.0})

    with ThreadPoolExecutor(max_workers=4) as pool:
        executions = list(pool.map(_trigger_in_thread, [job.pk] * 12))
    finished = [wait_final(execution) for execution in executions]

    ran = sorted((e for e in finished if e.status == Status.SUCCEEDED), key=lambda e: e.started_at)
    skipped = [e for e in finished if e.status == Status.SKIPPED]
    assert ran and skipped and len(ran) + len(skipped) == 12
    for earlier, later in itertools.pairwise(ran):
        assert earlier.finished_at <= later.started_at, "two runs of one job overlapped"
    ran_by_id = {e.pk: e for e in ran}
    # Times are stamped just before the UPDATEs that take or release the lease, so allow a little slack.
    slack = timedelta(milliseconds=500)
    for e in skipped:
        holder = ran_by_id[e.blocked_by]  # skipped in favour of a run that really ran…
        assert holder.started_at - slack <= e.finished_at <= holder.finished_at + slack  # …while it was running
    hosts = {e.worker.split("@")[0] for e in finished}
    assert hosts == {"w1", "w2"}, f"both worker processes must have taken part, saw {hosts}"
