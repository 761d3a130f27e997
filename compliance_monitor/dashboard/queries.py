"""What the dashboard's pages show, read in a few queries: the overview's job lines and alert counts.

Reads only; every change goes through the services of ``jobs``, ``alerts`` and ``notifications``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from compliance_monitor.alerts.models import Alert, Severity, State
from compliance_monitor.jobs import conflicts
from compliance_monitor.jobs.models import Execution, Job

TREND_RUNS = 20  # runs in an overview line's duration trend


@dataclass(frozen=True)
class JobLine:
    job: Job
    latest: Execution | None  # the newest run, live or not
    durations: list[float]  # oldest first, for the trend

    @property
    def success_rate(self) -> float | None:
        """Percent of finished runs that succeeded, over the job's whole life; None before the first run."""
        return None if not self.job.execution_count else round(100.0 - self.job.failure_rate, 1)


@dataclass(frozen=True)
class AlertCounts:
    by_severity: dict[str, int] = field(default_factory=dict)
    needs_acknowledgement: int = 0
    escalated: int = 0

    @property
    def active(self) -> int:
        return sum(self.by_severity.values())


def job_lines(jobs: list[Job]) -> list[JobLine]:
    recent = _recent_runs([job.pk for job in jobs])
    lines = []
    for job in jobs:
        runs = recent.get(job.pk, [])  # newest first
        durations = [r.duration_seconds for r in reversed(runs) if r.duration_seconds is not None and r.is_final]
        lines.append(JobLine(job, runs[0] if runs else None, durations))
    return lines


def _recent_runs(job_ids: list[int]) -> dict[int, list[Execution]]:
    """The newest ``TREND_RUNS`` runs of each job in one query (a window function, on SQLite and PostgreSQL)."""
    newest_first = Window(RowNumber(), partition_by=[F("job_id")], order_by=F("queued_at").desc())
    runs = (
        Execution.objects.filter(job_id__in=job_ids)
        .only("id", "job_id", "status", "queued_at", "started_at", "finished_at", "duration_seconds", "trigger")
        .annotate(rank=newest_first)
        .filter(rank__lte=TREND_RUNS)
        .order_by("job_id", "rank")
    )
    grouped: dict[int, list[Execution]] = defaultdict(list)
    for run in runs:
        grouped[run.job_id].append(run)
    return grouped


def alert_counts(alerts: QuerySet[Alert]) -> AlertCounts:
    active = alerts.exclude(state=State.RESOLVED)
    totals = active.aggregate(
        needs=Count("pk", filter=Q(state=State.OPEN, severity__gte=Severity.HIGH)),
        escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
    )
    rows = dict(active.values_list("severity").annotate(n=Count("pk")).values_list("severity", "n"))
    by_severity = {s.label: rows.get(s.value, 0) for s in sorted(Severity, reverse=True)}
    return AlertCounts(by_severity, totals["needs"], totals["escalated"])


def conflict_messages(job: Job, *, now: datetime) -> list[str]:
    return [c.message for c in conflicts.conflicts_of(job, now=now)]


def distinct_warehouses(alerts: QuerySet[Alert]) -> list[str]:
    return sorted(set(alerts.exclude(warehouse="").values_list("warehouse", flat=True).distinct()))


def counts_by(rows: QuerySet[Any], field_name: str) -> dict[str, int]:
    return dict(rows.values_list(field_name).annotate(n=Count("pk")).values_list(field_name, "n"))
