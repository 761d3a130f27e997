"""How long a job's runs usually take, and when one is not usual: slow while it runs, or suspiciously short.

"Usual" is the job's last ``HISTORY_RUNS`` successful full runs (not change runs nor runs of some warehouses or
checks: they do less; nor runs given parameters of their own, such as a past date: they read something else) that
finished before the run in question started. Fewer than ``MIN_HISTORY`` of them say
nothing about "usual": then only the timeout limit applies, and no run is called short.

A run is slow past ``max(slow_run_factor × p95, p95 + slow_run_margin_seconds)`` or past
``slow_run_timeout_percent`` of its timeout, whichever comes first (the job's settings). It is suspiciously short
when it succeeded in less than ``short_run_percent`` of the median *and* read at most ``SHORT_ROWS_FRACTION`` of
the median rows: a fast run that read everything is just fast.
"""

from __future__ import annotations

import contextlib
import enum
import statistics
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from compliance_monitor.jobs.models import Execution, Job, Status, Trigger
from compliance_monitor.jobs.stats import percentile

HISTORY_RUNS = 30
MIN_HISTORY = 5
SHORT_ROWS_FRACTION = 0.5


class Stage(enum.IntEnum):
    """How slow a run is, in rising order: a run passes each at most once."""

    SLOWER_THAN_USUAL = 1
    NEAR_TIMEOUT = 2


@dataclass(frozen=True)
class Limits:
    """When a run of a job becomes slow: computed once per run, from the job's settings and history."""

    timeout_seconds: float
    usual_runs: int  # the successful runs "usual" was computed from
    p95_seconds: float | None  # None: too little history
    slow_after: float | None  # from the history; None: too little of it, or the job compares with none
    near_timeout_after: float | None  # None: the job's timeout percent is 0

    def stage(self, elapsed: float) -> Stage | None:
        """The highest limit a run that has taken ``elapsed`` seconds has passed, or None."""
        if self.near_timeout_after is not None and elapsed > self.near_timeout_after:
            return Stage.NEAR_TIMEOUT
        if self.slow_after is not None and elapsed > self.slow_after:
            return Stage.SLOWER_THAN_USUAL
        return None

    @property
    def first(self) -> float | None:
        """The earliest limit: a run that finished within it finished normally."""
        found = [limit for limit in (self.slow_after, self.near_timeout_after) if limit is not None]
        return min(found) if found else None

    def describe(self, *, localized: bool = False) -> str:
        """ "usually done within 1 min (p95 of its last 30 runs), slow after 6 min; its timeout is 20 min".

        In English unless ``localized`` (then in the active language): performance alerts store it in English and
        ``alerts/texts/`` reads it back."""
        with _language(localized):
            return self._describe()

    def _describe(self) -> str:
        if self.p95_seconds is None:
            usual = ngettext(
                "no usual duration yet (fewer than %(count)s successful run)",
                "no usual duration yet (fewer than %(count)s successful runs)",
                MIN_HISTORY,
            ) % {"count": MIN_HISTORY}
        else:
            usual = ngettext(
                "usually done within %(duration)s (p95 of its last %(count)s run)",
                "usually done within %(duration)s (p95 of its last %(count)s runs)",
                self.usual_runs,
            ) % {"duration": _duration(self.p95_seconds), "count": self.usual_runs}
        if self.first is None:
            slow = _("no slow limit")
        else:
            slow = _("slow after %(duration)s") % {"duration": _duration(self.first)}
        return _("%(usual)s, %(slow)s; its timeout is %(timeout)s") % {
            "usual": usual,
            "slow": slow,
            "timeout": _duration(self.timeout_seconds),
        }


def limits_from(job: Job, durations: Sequence[float]) -> Limits:
    """The limits of a run of ``job`` whose usual runs took ``durations`` seconds (any order)."""
    p95 = percentile(sorted(durations), 0.95) if len(durations) >= MIN_HISTORY else None
    slow_after = None
    if p95 is not None and job.slow_run_factor > 0:
        slow_after = max(job.slow_run_factor * p95, p95 + job.slow_run_margin_seconds)
    percent = job.slow_run_timeout_percent
    near_timeout = job.timeout_seconds * percent / 100 if percent else None
    return Limits(float(job.timeout_seconds), len(durations), p95, slow_after, near_timeout)


def limits(job: Job, *, before: datetime) -> Limits:
    """The limits of a run of ``job`` that started at ``before``: one query over its last successful runs."""
    durations = [seconds for seconds, _ in usual_runs(job.pk, before=before)]
    return limits_from(job, durations)


def usual_runs(job_id: int, *, before: datetime, rows: bool = False) -> list[tuple[float, int | None]]:
    """(duration, rows read) of the job's last successful full runs finished by ``before``, newest first.

    Rows read are summed over the run's check results when asked for (None when no result recorded them)."""
    runs = full_successes(Execution.objects.filter(job_id=job_id, finished_at__lte=before))
    runs = runs.order_by("-finished_at")
    if rows:
        found = runs.annotate(rows=Sum("check_results__rows_read")).values_list("duration_seconds", "rows")
        return [(seconds, total) for seconds, total in found[:HISTORY_RUNS] if seconds is not None]
    found_seconds = runs.values_list("duration_seconds", flat=True)[:HISTORY_RUNS]
    return [(seconds, None) for seconds in found_seconds if seconds is not None]  # never None: filtered


# A run of the whole job as it is: none of these narrowed (a run given a date or a parameter of its own reads
# something else; a run of some warehouses or checks does less).
PLAIN: dict[str, Any] = {"warehouses": [], "checks": [], "parameters": {}}


def full_successes(runs: QuerySet[Execution]) -> QuerySet[Execution]:
    """The runs "usual" is made of: succeeded, timed, plain (:data:`PLAIN`), not change runs."""
    full = runs.filter(status=Status.SUCCEEDED, duration_seconds__isnull=False, **PLAIN)
    return full.exclude(trigger=Trigger.CHANGE)


TIMED = (Status.SUCCEEDED, Status.FAILED, Status.TIMED_OUT)  # an abandoned run's duration says nothing


@dataclass(frozen=True)
class SlowRun:
    """A run past one of its limits: still running, or finished so."""

    seconds: float
    limits: Limits
    running: bool

    @property
    def text(self) -> str:
        """The run page's sentence, in the active language."""
        took = _("running for %(duration)s") if self.running else _("took %(duration)s")
        took %= {"duration": _duration(self.seconds)}
        limits = self.limits.describe(localized=True)
        return _("slower than usual: %(took)s; %(limits)s") % {"took": took, "limits": limits}


def slow_run(execution: Execution, *, now: datetime) -> SlowRun | None:
    """The run page's note: a running run past one of its limits, or a finished one that took longer."""
    if execution.started_at is None:
        return None
    running = execution.status == Status.RUNNING
    seconds = execution.elapsed(now).total_seconds() if running else execution.duration_seconds
    if seconds is None or not (running or execution.status in TIMED):
        return None
    found = limits(execution.job, before=execution.started_at)
    return SlowRun(seconds, found, running) if found.stage(seconds) else None


@dataclass(frozen=True)
class ShortRun:
    """A successful run that took far less time than usual and read far fewer rows: did it really look?"""

    seconds: float
    usual_seconds: float  # median of the usual runs
    rows: int
    usual_rows: float  # median rows of the usual runs

    @property
    def text(self) -> str:
        """The run page's sentence, in the active language."""
        text = ngettext(
            "much shorter than usual and read far fewer rows: %(duration)s (usually %(usual_duration)s), "
            "%(rows)s row (usually %(usual_rows)s)",
            "much shorter than usual and read far fewer rows: %(duration)s (usually %(usual_duration)s), "
            "%(rows)s rows (usually %(usual_rows)s)",
            self.rows,
        )
        return text % {
            "duration": _duration(self.seconds),
            "usual_duration": _duration(self.usual_seconds),
            "rows": number_text(self.rows),
            "usual_rows": number_text(self.usual_rows),
        }


Usual = Sequence[tuple[float, int | None]]  # (seconds, rows read) of the usual runs


def short_from(job: Job, seconds: float, rows: int | None, usual: Usual) -> ShortRun | None:
    """Whether a successful full run of ``seconds`` that read ``rows`` is suspiciously short next to ``usual``."""
    counted = [(d, r) for d, r in usual if r is not None]
    if not job.short_run_percent or rows is None or len(counted) < MIN_HISTORY:
        return None
    median_seconds = statistics.median(d for d, _ in counted)
    median_rows = statistics.median(r for _, r in counted)
    if seconds < median_seconds * job.short_run_percent / 100 and rows <= median_rows * SHORT_ROWS_FRACTION:
        return ShortRun(seconds, median_seconds, rows, median_rows)
    return None


def short_run(execution: Execution) -> ShortRun | None:
    """The run page's flag: a successful full run much shorter than usual that also read far fewer rows."""
    if not is_full_success(execution) or execution.started_at is None or execution.duration_seconds is None:
        return None
    rows = execution.check_results.aggregate(rows=Sum("rows_read"))["rows"]
    usual = usual_runs(execution.job_id, before=execution.started_at, rows=True)
    return short_from(execution.job, execution.duration_seconds, rows, usual)


def is_full_success(execution: Execution) -> bool:
    """One of the runs :func:`full_successes` finds."""
    narrowed = (getattr(execution, name) for name in PLAIN)
    return full_success(execution.status, execution.trigger, *narrowed)


def full_success(status: str, trigger: str, *narrowed: object) -> bool:
    """:func:`is_full_success` of a run's values (``narrowed``: those of :data:`PLAIN`, in order)."""
    return status == Status.SUCCEEDED and trigger != Trigger.CHANGE and not any(narrowed)


def duration_text(seconds: float | None, *, localized: bool = False) -> str:
    """3.2 s, 4 min 5 s, 1 h 2 min — or an en dash for none. In English unless ``localized`` (then in the active
    language: 3,2 s in Czech): alert texts are stored with it in English."""
    with _language(localized):
        return _duration(seconds)


def _language(localized: bool) -> AbstractContextManager[None]:
    """The active language for a localized text, else English (what alerts store)."""
    return contextlib.nullcontext() if localized else translation.override("en")


def _duration(seconds: float | None) -> str:
    """``duration_text`` in the active language."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return _("%(milliseconds)s ms") % {"milliseconds": number_text(seconds * 1000)}
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": number_text(seconds, 1 if seconds < 10 else 0)}
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        if secs:
            return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": secs}
        return _("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}


def number_text(value: float, places: int = 0) -> str:
    """``value`` rounded to ``places`` decimals, written the active language's way: 4,000.5 / 4 000,5."""
    return formats.number_format(Decimal(f"{value:.{places}f}"), places, force_grouping=True)
