"""Schedule conflicts: two enabled jobs that check the same warehouses and run at overlapping times.

Jobs of one name never overlap (the lease sees to that), but two *different* jobs reading the same
warehouses at once double the load on the ERP and race each other's alerts. We warn; we do not block.
A job's run window is its expected duration: the mean of its recent runs, at least a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations

from django.db.models import Avg

from compliance_monitor.jobs.models import Execution, Job, Status

HORIZON = timedelta(days=7)
MAX_FIRES = 2000  # per job within the horizon; an every-minute job is compared on its first 2000 runs
MIN_WINDOW = timedelta(minutes=1)
RECENT_RUNS = 20


@dataclass(frozen=True)
class ScheduleConflict:
    job: str
    other: str
    warehouses: list[str]  # shared warehouse codes; ["*"] when either job checks every warehouse
    first_overlap_at: datetime
    overlaps_in_horizon: int

    @property
    def message(self) -> str:
        places = "all warehouses" if self.warehouses == ["*"] else ", ".join(self.warehouses)
        return (
            f"{self.job} and {self.other} both check {places} and overlap {self.overlaps_in_horizon} times in the next "
            f"7 days, first at {self.first_overlap_at:%Y-%m-%d %H:%M} UTC"
        )


def shared_warehouses(a: Job, b: Job) -> list[str]:
    if not a.warehouses or not b.warehouses:
        return ["*"]
    return sorted(set(a.warehouses) & set(b.warehouses))


def expected_window(job: Job) -> timedelta:
    recent = Execution.objects.filter(job=job, status=Status.SUCCEEDED).order_by("-queued_at")[:RECENT_RUNS]
    mean = Execution.objects.filter(pk__in=list(recent.values_list("pk", flat=True))).aggregate(
        mean=Avg("duration_seconds")
    )["mean"]
    return max(MIN_WINDOW, timedelta(seconds=mean or 0))


def find_conflicts(*, now: datetime, jobs: list[Job] | None = None) -> list[ScheduleConflict]:
    enabled = [job for job in (jobs if jobs is not None else Job.objects.filter(enabled=True)) if job.enabled]
    windows = {job.pk: _windows(job, now) for job in enabled}
    conflicts = []
    for a, b in combinations(enabled, 2):
        shared = shared_warehouses(a, b)
        if not shared:
            continue
        overlaps = _overlaps(windows[a.pk], windows[b.pk])
        if overlaps:
            conflicts.append(ScheduleConflict(a.name, b.name, shared, overlaps[0], len(overlaps)))
    return conflicts


def conflicts_of(job: Job, *, now: datetime) -> list[ScheduleConflict]:
    return [c for c in find_conflicts(now=now) if job.name in (c.job, c.other)]


def _windows(job: Job, now: datetime) -> list[tuple[datetime, datetime]]:
    length = expected_window(job)
    fires = job.next_runs(now, count=MAX_FIRES)
    return [(start, start + length) for start in fires if start < now + HORIZON]


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
