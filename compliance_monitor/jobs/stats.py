"""Statistics and health (the seed's ``GetJobStatisticsAsync`` and ``GetJobHealthStatusAsync``)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDate

from compliance_monitor.jobs.models import (
    FAILURE_STATUSES,
    Execution,
    Job,
    Status,
    Trigger,
    failure_rate,
    is_healthy,
    requires_attention,
)

DEFAULT_DAYS = 30
MAX_DAYS = 366
RAN = (Status.SUCCEEDED, *FAILURE_STATUSES, Status.ABANDONED)  # runs that count for rates


@dataclass(frozen=True)
class DailyTrend:
    day: date
    count: int
    succeeded: int
    failed: int
    average_duration_seconds: float | None
    p50_duration_seconds: float | None = None
    p95_duration_seconds: float | None = None


@dataclass(frozen=True)
class TriggerDurations:
    """The durations of one trigger type's runs: a one-warehouse change run is not "fast" next to a full cron run."""

    count: int
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None


@dataclass(frozen=True)
class JobStatistics:
    job: str
    period_start: datetime
    period_end: datetime
    total: int
    by_status: dict[str, int]
    success_rate: float  # percent of runs that ran (skipped and cancelled do not count)
    average_duration_seconds: float | None
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    consecutive_failures: int
    is_healthy: bool
    daily: list[DailyTrend] = field(default_factory=list)
    by_trigger: dict[str, TriggerDurations] = field(default_factory=dict)  # the headline leaves change runs out


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (what numpy calls 'linear')."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def statistics(job: Job, *, now: datetime, days: int = DEFAULT_DAYS) -> JobStatistics:
    if not 1 <= days <= MAX_DAYS:
        from django.core.exceptions import ValidationError

        raise ValidationError({"days": [f"days must be between 1 and {MAX_DAYS}"]})
    start = now - timedelta(days=days)
    runs = Execution.objects.filter(job=job, queued_at__gte=start, queued_at__lte=now)
    by_status = dict(runs.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    ran_runs = runs.filter(status__in=RAN, duration_seconds__isnull=False)
    timed = sorted(ran_runs.values_list("trigger", "duration_seconds"), key=lambda pair: pair[1] or 0.0)
    durations = [d for trigger, d in timed if d is not None and trigger != Trigger.CHANGE]
    ran = sum(by_status.get(status, 0) for status in RAN)
    return JobStatistics(
        job=job.name,
        period_start=start,
        period_end=now,
        total=sum(by_status.values()),
        by_status={status.value: by_status.get(status.value, 0) for status in Status},
        success_rate=round(100.0 * by_status.get(Status.SUCCEEDED, 0) / ran, 2) if ran else 0.0,
        average_duration_seconds=sum(durations) / len(durations) if durations else None,
        p50_duration_seconds=percentile(durations, 0.5),
        p95_duration_seconds=percentile(durations, 0.95),
        last_success_at=job.last_success_at,
        last_failure_at=job.last_failure_at,
        consecutive_failures=job.consecutive_failures,
        is_healthy=job.is_healthy,
        daily=daily_trend(runs.exclude(trigger=Trigger.CHANGE), ZoneInfo(job.timezone), start=start, now=now),
        by_trigger=_by_trigger(timed),
    )


def _by_trigger(timed: list[tuple[str, float | None]]) -> dict[str, TriggerDurations]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for trigger, seconds in timed:
        if seconds is not None:
            grouped[trigger].append(seconds)
    return {
        trigger: TriggerDurations(len(values), percentile(values, 0.5), percentile(values, 0.95))
        for trigger, values in sorted(grouped.items())
    }


def daily_trend(runs: QuerySet[Execution], tz: ZoneInfo, *, start: datetime, now: datetime) -> list[DailyTrend]:
    """One entry per calendar day (in the job's time zone) of the period, days without runs included."""
    by_day = runs.annotate(day=TruncDate("queued_at", tzinfo=tz))
    rows = by_day.values("day").annotate(
        count=Count("pk"),
        succeeded=Count("pk", filter=Q(status=Status.SUCCEEDED)),
        failed=Count("pk", filter=Q(status__in=[*FAILURE_STATUSES, Status.ABANDONED])),
        average=Avg("duration_seconds", filter=Q(status__in=RAN)),
    )
    found = {row["day"]: row for row in rows}
    durations = _durations_by_day(runs.filter(status__in=RAN, duration_seconds__isnull=False), tz)
    first, last = start.astimezone(tz).date(), now.astimezone(tz).date()
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return [_trend(day, found.get(day), durations.get(day, [])) for day in days]


def _durations_by_day(runs: QuerySet[Execution], tz: ZoneInfo) -> dict[date, list[float]]:
    """Sorted durations per day, for the percentiles (no portable SQL percentile on SQLite)."""
    grouped: dict[date, list[float]] = defaultdict(list)
    rows = runs.annotate(day=TruncDate("queued_at", tzinfo=tz)).values_list("day", "duration_seconds")
    for day, seconds in rows.order_by("duration_seconds"):
        if seconds is not None:  # filtered out already; this tells the type checker
            grouped[day].append(seconds)
    return grouped


def _trend(day: date, row: Mapping[str, Any] | None, durations: list[float]) -> DailyTrend:
    if row is None:
        return DailyTrend(day, 0, 0, 0, None)
    average = row["average"]
    return DailyTrend(
        day,
        row["count"],
        row["succeeded"],
        row["failed"],
        None if average is None else float(average),
        percentile(durations, 0.5),
        percentile(durations, 0.95),
    )


@dataclass(frozen=True)
class JobHealth:
    name: str
    enabled: bool
    healthy: bool
    requires_attention: bool
    consecutive_failures: int
    failure_rate: float
    last_run_at: datetime | None
    last_status: str
    next_run_at: datetime | None
    last_error: str
    disabled_reason: str


@dataclass(frozen=True)
class HealthSummary:
    total: int
    enabled: int
    disabled: int
    failing: int
    requiring_attention: int
    is_healthy: bool
    checked_at: datetime
    jobs: list[JobHealth]


HEALTH_FIELDS = (  # what a health line needs: not the JSON columns, which cost most to load
    "name",
    "enabled",
    "consecutive_failures",
    "execution_count",
    "failure_count",
    "last_run_at",
    "last_status",
    "next_run_at",
    "last_error",
    "disabled_reason",
)


def health(*, now: datetime) -> HealthSummary:
    """The whole system is healthy when no job requires attention (failing streaks or disabled)."""
    jobs = [_job_health(row) for row in Job.objects.values(*HEALTH_FIELDS)]
    attention = sum(job.requires_attention for job in jobs)
    return HealthSummary(
        total=len(jobs),
        enabled=sum(job.enabled for job in jobs),
        disabled=sum(not job.enabled for job in jobs),
        failing=sum(job.consecutive_failures > 0 for job in jobs),
        requiring_attention=attention,
        is_healthy=attention == 0,
        checked_at=now,
        jobs=jobs,
    )


def _job_health(row: dict[str, Any]) -> JobHealth:
    rate = failure_rate(row["execution_count"], row["failure_count"])
    return JobHealth(
        name=row["name"],
        enabled=row["enabled"],
        healthy=is_healthy(row["enabled"], row["consecutive_failures"], rate),
        requires_attention=requires_attention(row["enabled"], row["consecutive_failures"]),
        consecutive_failures=row["consecutive_failures"],
        failure_rate=rate,
        last_run_at=row["last_run_at"],
        last_status=row["last_status"],
        next_run_at=row["next_run_at"],
        last_error=row["last_error"] if row["consecutive_failures"] else "",
        disabled_reason=row["disabled_reason"],
    )
