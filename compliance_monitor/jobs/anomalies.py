"""A job's duration anomalies over a period, for its duration chart: slow runs and suspiciously short ones.

Each run is judged as it would have been when it ran — against the usual runs before it (``jobs/durations.py``),
a window rolling forward through the period — with the job's current thresholds. One query for the runs of the
period, one for the usual runs before it.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Sum
from django.utils.translation import gettext as _

from compliance_monitor.jobs import durations
from compliance_monitor.jobs.durations import duration_text
from compliance_monitor.jobs.models import Execution, Job

SLOW, SHORT = "slow", "short"


@dataclass(frozen=True)
class Anomaly:
    execution_id: uuid.UUID
    started_at: datetime
    kind: str  # SLOW | SHORT
    text: str


@dataclass(frozen=True)
class _Run:
    pk: uuid.UUID
    started_at: datetime
    seconds: float
    rows: int | None
    full_success: bool  # one of the usual runs of the runs after it


def of_period(job: Job, *, start: datetime, now: datetime) -> list[Anomaly]:
    """The slow and suspiciously short runs of ``job`` started between ``start`` and ``now``, oldest first."""
    before = reversed(durations.usual_runs(job.pk, before=start, rows=True))  # oldest first
    window: deque[tuple[float, int | None]] = deque(before, maxlen=durations.HISTORY_RUNS)
    found = []
    for run in _runs(job, start, now):
        anomaly = _judge(job, run, window)
        if anomaly is not None:
            found.append(anomaly)
        if run.full_success:
            window.append((run.seconds, run.rows))
    return found


def _runs(job: Job, start: datetime, now: datetime) -> list[_Run]:
    rows = (
        Execution.objects.filter(job=job, started_at__gte=start, started_at__lte=now, duration_seconds__isnull=False)
        .filter(status__in=durations.TIMED)
        .annotate(rows=Sum("check_results__rows_read"))
        .order_by("started_at")
        .values_list("pk", "started_at", "duration_seconds", "rows", "status", "trigger", *durations.PLAIN)
    )
    return [
        _Run(pk, started, seconds, total, durations.full_success(status, trigger, *plain))
        for pk, started, seconds, total, status, trigger, *plain in rows
        if started is not None and seconds is not None  # filtered: this tells the type checker
    ]


def _judge(job: Job, run: _Run, usual: deque[tuple[float, int | None]]) -> Anomaly | None:
    limits = durations.limits_from(job, [seconds for seconds, _ in usual])
    if limits.stage(run.seconds) is not None:
        text = _("slow: took %(duration)s; %(limits)s") % {
            "duration": duration_text(run.seconds, localized=True),
            "limits": limits.describe(localized=True),
        }
        return Anomaly(run.pk, run.started_at, SLOW, text)
    if run.full_success:
        short = durations.short_from(job, run.seconds, run.rows, usual)
        if short is not None:
            return Anomaly(run.pk, run.started_at, SHORT, short.text)
    return None
