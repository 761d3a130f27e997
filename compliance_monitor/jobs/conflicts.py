"""Schedule conflicts: two enabled jobs that check the same warehouses and run at overlapping times.

Jobs of one name never overlap (the lease sees to that), but two *different* jobs reading the same
warehouses at once double the load on the ERP and race each other's alerts. We warn; we do not block.
A job's run window is its expected duration: the mean of its successful runs of the last 7 days, at least a minute.

This module computes (seconds at 1,000 jobs); requests read the stored result instead (``conflict_cache.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice, takewhile
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg
from django.utils.translation import gettext, ngettext

from compliance_monitor.jobs import cron as cronlib
from compliance_monitor.jobs.models import Execution, Job, Status

HORIZON = timedelta(days=7)
MAX_FIRES = 2000  # per job within the horizon; an every-minute job is compared on its first 2000 runs
MIN_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class ScheduleConflict:
    job: str
    other: str
    warehouses: list[str]  # shared warehouse codes; ["*"] when either job checks every warehouse
    first_overlap_at: datetime
    overlaps_in_horizon: int

    @property
    def message(self) -> str:
        return describe(self.facts())

    def facts(self) -> dict[str, Any]:
        """What is stored (``conflict_cache.py``): the warning is written from it when read, in the reader's
        language."""
        return {
            "job": self.job,
            "other": self.other,
            "warehouses": self.warehouses,
            "first": self.first_overlap_at.isoformat(),
            "count": self.overlaps_in_horizon,
        }


def describe(facts: dict[str, Any] | str) -> str:
    """A conflict's warning in the active language (a snapshot stored before facts were: its text as stored)."""
    if isinstance(facts, str):
        return facts
    places = gettext("all warehouses") if facts["warehouses"] == ["*"] else ", ".join(facts["warehouses"])
    count = int(facts["count"])
    first = f"{datetime.fromisoformat(facts['first']):%Y-%m-%d %H:%M}"
    text = ngettext(
        "%(job)s and %(other)s both check %(places)s and overlap %(count)s time in the next 7 days, "
        "first at %(first)s UTC",
        "%(job)s and %(other)s both check %(places)s and overlap %(count)s times in the next 7 days, "
        "first at %(first)s UTC",
        count,
    )
    return text % {"job": facts["job"], "other": facts["other"], "places": places, "count": count, "first": first}


def shared_warehouses(a: Job, b: Job) -> list[str]:
    """Warehouses both check; none when they read different companies (every company may have a ZBOZI)."""
    if a.connection_id != b.connection_id:
        return []
    if not a.warehouses or not b.warehouses:
        return ["*"]
    return sorted(set(a.warehouses) & set(b.warehouses))


def expected_windows(jobs: list[Job], *, now: datetime) -> dict[int, timedelta]:
    """Each job's expected run length: the mean of its successful runs of the last 7 days, at least a minute.

    One grouped query for all the jobs (a per-job "latest runs" query cost two round trips a job)."""
    recent = Execution.objects.filter(
        job__in=jobs, status=Status.SUCCEEDED, queued_at__gte=now - HORIZON, queued_at__lte=now
    )
    means = dict(recent.values_list("job").annotate(mean=Avg("duration_seconds")).values_list("job", "mean"))
    return {job.pk: max(MIN_WINDOW, timedelta(seconds=means.get(job.pk) or 0)) for job in jobs}


def find_conflicts(*, now: datetime, jobs: list[Job] | None = None) -> list[ScheduleConflict]:
    """Every pair of enabled jobs with overlapping runs on shared warehouses in the next 7 days.

    A sweep over all run windows in start order: each window is compared only with the windows still open
    when it starts, so the cost follows the number of runs and real overlaps, not the number of job pairs.
    """
    enabled = [job for job in (jobs if jobs is not None else Job.objects.filter(enabled=True)) if job.enabled]
    return _sweep(enabled, _all_windows(enabled, now))


def conflicts_of(job: Job, *, now: datetime) -> list[ScheduleConflict]:
    """The conflicts of one job: its windows against each other job's, by a merge walk (no other pairs)."""
    if not job.enabled:
        return []
    others = [other for other in Job.objects.filter(enabled=True).exclude(pk=job.pk) if shared_warehouses(job, other)]
    lengths = expected_windows([job, *others], now=now)
    mine = _windows(job, lengths[job.pk], now)
    found = []
    for other in others:
        overlaps = _overlaps(mine, _windows(other, lengths[other.pk], now))
        if overlaps:
            first, second = sorted((job.name, other.name))
            found.append(ScheduleConflict(first, second, shared_warehouses(job, other), overlaps[0], len(overlaps)))
    return found


def _windows(job: Job, length: timedelta, now: datetime) -> list[tuple[datetime, datetime]]:
    horizon = now + HORIZON
    fires = cronlib.fire_times(cronlib.parse(job.cron), ZoneInfo(job.timezone), after=now)
    return [(start, start + length) for start in islice(takewhile(lambda at: at < horizon, fires), MAX_FIRES)]


def _overlaps(a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]) -> list[datetime]:
    """Start times of overlapping windows, by a merge walk over both sorted lists."""
    found, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        (a_start, a_end), (b_start, b_end) = a[i], b[j]
        if a_start < b_end and b_start < a_end:
            found.append(max(a_start, b_start))
        if a_end <= b_end:
            i += 1
        else:
            j += 1
    return found


Window = tuple[datetime, datetime, int]  # start, end, index of the job in the list


def _all_windows(jobs: list[Job], now: datetime) -> list[Window]:
    lengths = expected_windows(jobs, now=now)
    windows = [
        (start, end, index) for index, job in enumerate(jobs) for start, end in _windows(job, lengths[job.pk], now)
    ]
    windows.sort(key=lambda window: (window[0], window[2]))
    return windows


def _sweep(jobs: list[Job], windows: list[Window]) -> list[ScheduleConflict]:
    places = [frozenset(job.warehouses) for job in jobs]  # empty: every warehouse
    company = [job.connection_id for job in jobs]
    found: dict[tuple[int, int], list[datetime]] = {}
    open_windows: list[Window] = []
    for start, end, index in windows:
        open_windows = [w for w in open_windows if w[1] > start]
        for _, _, other in open_windows:
            if other == index or company[index] != company[other]:
                continue
            if not places[index] or not places[other] or places[index] & places[other]:
                found.setdefault((min(index, other), max(index, other)), []).append(start)
        open_windows.append((start, end, index))
    return [
        ScheduleConflict(jobs[a].name, jobs[b].name, shared_warehouses(jobs[a], jobs[b]), starts[0], len(starts))
        for (a, b), starts in sorted(found.items())
    ]
