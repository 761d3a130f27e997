"""Mirror of each job's schedule as a django-celery-beat ``PeriodicTask``.

The job row is the truth; the periodic task is beat's copy. Saving it through the ORM bumps
``PeriodicTasks.last_update``, which a running ``DatabaseScheduler`` polls, so a changed schedule or
an enable/disable takes effect in the running beat within its loop interval — no restart.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django_celery_beat.models import CrontabSchedule, PeriodicTask

from compliance_monitor.jobs import cron

if TYPE_CHECKING:
    from compliance_monitor.jobs.models import Job

TICK_TASK = "compliance_monitor.jobs.tasks.scheduled_tick"
# A tick that could not be delivered within this many seconds is dropped: running an hourly job at a
# random later time would surprise people more than the missed-run alert does.
TICK_EXPIRES_SECONDS = 300


def task_name(job: Job) -> str:
    return f"compliance-job-{job.pk}"


def sync(job: Job) -> None:
    fields = cron.parse(job.cron).fields
    schedule, _ = CrontabSchedule.objects.get_or_create(**fields, timezone=ZoneInfo(job.timezone))
    task = PeriodicTask.objects.filter(name=task_name(job)).first() or PeriodicTask(name=task_name(job))
    task.task = TICK_TASK
    task.crontab = schedule
    task.args = json.dumps([job.pk])
    task.enabled = job.enabled
    task.queue = "control"
    task.expire_seconds = TICK_EXPIRES_SECONDS
    task.description = f"Compliance job {job.name!r}"
    task.save()


def remove(job: Job) -> None:
    for task in PeriodicTask.objects.filter(name=task_name(job)):
        task.delete()  # one by one, so the delete signal tells beat
