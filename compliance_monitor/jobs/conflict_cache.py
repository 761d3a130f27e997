"""Schedule conflicts, stored: computed when a schedule changes, read by every request without computing.

Finding every conflicting pair expands a week of fire times of every job (``conflicts.py``; 1-2 s at 1,000 jobs):
too slow for a request, acceptable for a save. The result is kept in the database, the source of truth —
web processes on several machines read it, and a per-process cache could not learn of another machine's save —
in one :class:`ConflictSnapshot` row with a fingerprint of the schedules it was computed from.

It is computed
* after a job is saved or deleted (``services.save_job`` / ``delete_job`` call :func:`refresh_after_commit`):
  synchronously, in the saving process, once the change has committed. The writer (an administrator) pays the
  seconds, so the next read, anyone's, is fresh. A task queued on the control queue would only move the cost:
  the saving request itself answers with the job's conflicts, and any read before the task finished would have
  to compute anyway (below); it would also add a background writer racing the readers. The price: a bulk action
  saving many jobs one transaction each (the admin's) recomputes after each; in one transaction, it computes once.
* every 15 minutes (``tasks.refresh_conflicts``, beat, control queue): the run windows are the mean of the last
  7 days' successful runs and the 7-day horizon moves with the clock; no save announces either.

A read compares the fingerprint of the jobs as they are *now* with the stored one, and the snapshot's age with
:data:`MAX_AGE`. A change that bypassed the service (a job auto-disabled by its failures, an edit in SQL, the
first start after the migration) or a refresher that stopped is caught there: the reader computes and stores
instead of answering stale. Computations hold the row's lock and re-check freshness once they have it, so a
crowd of readers finding it stale makes one computation, not one each.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog
from django.db import transaction

from compliance_monitor.jobs import conflicts
from compliance_monitor.jobs.models import ConflictSnapshot, Job

log = structlog.get_logger(__name__)
REFRESH_EVERY = timedelta(minutes=15)  # beat's period for tasks.refresh_conflicts (celery.py)
MAX_AGE = timedelta(hours=1)  # older than this, the refresher has stopped: a read computes
SNAPSHOT = 1  # the one row
# What a job's conflicts depend on besides its runs (the fingerprint); checks are included though the
# finder compares warehouses only, so a finder that starts comparing checks needs no new invalidation.
SCHEDULE_FIELDS = ("pk", "name", "cron", "timezone", "checks", "warehouses", "connection_id")

Messages = dict[str, list[Any]]  # job id (a string: JSON) -> that job's conflicts' facts (texts, if stored before)


def key(job_id: int) -> str:
    """A job's key in the stored JSON object."""
    return str(job_id)


def fingerprint(schedules: Iterable[tuple[Any, ...]]) -> str:
    """A hash of the enabled jobs' schedules, given as tuples of ``SCHEDULE_FIELDS`` in any order."""
    text = json.dumps(sorted(schedules), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def schedules_of(jobs: Iterable[Job]) -> list[tuple[Any, ...]]:
    return [tuple(getattr(job, field) for field in SCHEDULE_FIELDS) for job in jobs if job.enabled]


def current_schedules() -> list[tuple[Any, ...]]:
    return list(Job.objects.filter(enabled=True).order_by().values_list(*SCHEDULE_FIELDS))


def is_fresh(stored: str, computed_at: datetime, current: str, *, now: datetime) -> bool:
    return stored == current and abs(now - computed_at) < MAX_AGE


def stored(schedules: list[tuple[Any, ...]], *, now: datetime) -> dict[str, list[str]]:
    """Every job's warnings (by :func:`key`), checked against ``schedules``: every enabled job's, as they are now;
    written in the active language from the stored facts."""
    row = _snapshot()
    if row is None or not is_fresh(row[0], row[1], fingerprint(schedules), now=now):
        refresh(now=now)
        row = _snapshot()
    found: Messages = json.loads(row[2]) if row else {}
    return {job: [conflicts.describe(item) for item in items] for job, items in found.items()}


def messages_of(job: Job, *, now: datetime) -> list[str]:
    """One job's warnings; the snapshot is checked against every job's schedule (one query, no expansion)."""
    return stored(current_schedules(), now=now).get(key(job.pk), [])


def _snapshot() -> tuple[str, datetime, str] | None:
    return ConflictSnapshot.objects.filter(pk=SNAPSHOT).values_list("fingerprint", "computed_at", "messages").first()


def refresh(*, now: datetime, force: bool = False) -> bool:
    """Compute and store every job's warnings unless the stored ones are fresh (or ``force``): did it compute?

    The row stays locked while computing: another refresher waits, then finds the result fresh."""
    ConflictSnapshot.objects.get_or_create(pk=SNAPSHOT, defaults={"computed_at": now})
    with transaction.atomic():
        locked = ConflictSnapshot.objects.select_for_update().filter(pk=SNAPSHOT)
        stamp, computed_at = locked.values_list("fingerprint", "computed_at").get()
        if not force and is_fresh(stamp, computed_at, fingerprint(current_schedules()), now=now):
            return False
        started = time.monotonic()
        jobs = list(Job.objects.filter(enabled=True))
        messages = compute(jobs, now=now)
        locked.update(fingerprint=fingerprint(schedules_of(jobs)), computed_at=now, messages=json.dumps(messages))
    seconds = round(time.monotonic() - started, 3)
    log.info("schedule_conflicts_computed", jobs=len(jobs), conflicted_jobs=len(messages), seconds=seconds)
    return True


def compute(jobs: list[Job], *, now: datetime) -> Messages:
    """Every enabled job's warnings from one sweep over all run windows (``conflicts.find_conflicts``)."""
    ids = {job.name: job.pk for job in jobs}
    messages: Messages = {}
    for conflict in conflicts.find_conflicts(now=now, jobs=jobs):
        facts = conflict.facts()
        for name in (conflict.job, conflict.other):
            messages.setdefault(key(ids[name]), []).append(facts)
    return messages


def refresh_after_commit(*, now: datetime) -> None:
    """A job was saved or deleted: recompute once the change is committed, so the computation sees it.

    ``robust``: a failing computation is logged and the save stands; the next read computes instead. Several
    saves in one transaction compute once (the later refreshes find the result fresh)."""
    transaction.on_commit(partial(refresh, now=now), robust=True)
