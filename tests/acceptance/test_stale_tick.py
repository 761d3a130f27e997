"""A beat tick that could not be delivered for five minutes is dropped by the worker, not run late: an hourly job
run at a random later time would surprise people more than the missed-run alert does (jobs/scheduler.py).

Beat sends each tick with ``expires`` = sent + the job's ``PeriodicTask.expire_seconds``; here a tick is sent as
beat would have sent it five minutes and a second ago, beside a fresh one. Shown failing (both caught) with
``TICK_EXPIRES_SECONDS = 30000`` in jobs/scheduler.py, and with the stale tick sent to expire an hour later (the
worker then runs it: no discard line, a run recorded).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from compliance_monitor.celery import app
from compliance_monitor.jobs import scheduler
from compliance_monitor.jobs.models import Execution
from tests.acceptance.helpers import make_job
from tests.processes import Process, wait_until

pytestmark = pytest.mark.workers


def test_a_tick_older_than_its_expiry_is_discarded_by_the_worker_while_a_fresh_one_runs(
    engine: list[Process],
) -> None:
    stale, fresh = make_job("stale-tick", cron="* * * * *"), make_job("fresh-tick", cron="* * * * *")
    expiry = PeriodicTask.objects.get(name=scheduler.task_name(stale)).expire_seconds
    assert expiry == 300
    sent_at = timezone.now() - timedelta(seconds=expiry + 1)
    stale_id = str(uuid.uuid4())
    app.send_task(
        scheduler.TICK_TASK,
        args=[stale.pk],
        queue="control",
        task_id=stale_id,
        expires=sent_at + timedelta(seconds=expiry),
    )
    app.send_task(
        scheduler.TICK_TASK, args=[fresh.pk], queue="control", expires=timezone.now() + timedelta(seconds=expiry)
    )

    discarded = f"Discarding revoked task: {scheduler.TICK_TASK}[{stale_id}]"
    wait_until(
        lambda: any(discarded in worker.output() for worker in engine), timeout=30, what="the stale tick dropped"
    )
    wait_until(lambda: Execution.objects.filter(job=fresh).exists(), timeout=30, what="the fresh tick's run")
    assert not Execution.objects.filter(job=stale).exists()
