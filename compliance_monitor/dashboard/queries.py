"""What the dashboard's pages show, read in a few queries: the overview's job lines, alert counts and failing
connections.

Reads only; every change goes through the services of ``jobs``, ``alerts`` and ``notifications``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from compliance_monitor.alerts import run_alerts, texts
from compliance_monitor.alerts.models import Alert, Severity, State
from compliance_monitor.alerts.tasks import REVIEW_WINDOW
from compliance_monitor.checks.models import CheckResult, Violation
from compliance_monitor.erp.models import Catalog, Connection
from compliance_monitor.jobs import durations
from compliance_monitor.jobs.models import FAILURE_STATUSES, LIVE_STATUSES, Execution, Job

TREND_RUNS = 20  # runs in an overview line's duration trend
VIOLATIONS_SHOWN = 100  # per result on a run's page; the evidence download has them all
RUN_FIELDS = ("id", "status", "queued_at", "started_at", "duration_seconds")  # RecentRun's, in order
ERP_ERRORS = ("Erp", "UndecryptableSecretError")  # how a run's error type starts when the ERP could not be read
FAILING_JOBS_READ, FAILING_JOBS_NAMED = 500, 3


@dataclass(frozen=True)
class RecentRun:
    id: uuid.UUID
    status: str
    queued_at: datetime
    started_at: datetime | None
    duration_seconds: float | None

    @property
    def is_final(self) -> bool:
        return self.status not in LIVE_STATUSES


@dataclass(frozen=True)
class JobLine:
    job: Job
    latest: RecentRun | None  # the newest run, live or not
    durations: list[float]  # of the newest finished runs, oldest first, for the trend

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


def job_lines(jobs: Iterable[Job]) -> list[JobLine]:
    jobs = list(jobs)
    if not jobs:
        return []
    ids = [job.pk for job in jobs]
    latest = {run.job_id: run for run in Execution.objects.raw(_newest_per_job(ids, "*", 1), ids)}
    durations: dict[int, list[float]] = defaultdict(list)
    with connection.cursor() as cursor:  # a thousand bare values: the ORM's model instances would cost more
        cursor.execute(_newest_per_job(ids, "job_id, queued_at, status, duration_seconds", TREND_RUNS), ids)
        # UNION ALL keeps no promised order: sort by time (SQLite's ISO text and PostgreSQL's datetimes both sort).
        for job_id, _, status, seconds in sorted(cursor.fetchall(), key=lambda row: row[1]):
            if status not in LIVE_STATUSES and seconds is not None:
                durations[job_id].append(seconds)
    return [JobLine(job, _recent(latest.get(job.pk)), durations[job.pk]) for job in jobs]


def _recent(run: Execution | None) -> RecentRun | None:
    return None if run is None else RecentRun(*(getattr(run, name) for name in RUN_FIELDS))


def _newest_per_job(job_ids: list[int], columns: str, limit: int) -> str:
    """SQL for each job's newest ``limit`` runs, one job id parameter per job.

    One ``LIMIT`` subquery per job, each an index range scan, glued by ``UNION ALL`` — plain SQL that SQLite and
    PostgreSQL both run, whose cost does not grow with the history. (A window function over all runs took 2.2 s
    for 1,000 jobs with 1,000,000 runs on PostgreSQL; a query per job ~2 ms a job.)
    """
    table = Execution._meta.db_table
    part = (
        f"SELECT * FROM (SELECT {columns} FROM {table} WHERE job_id = %s "  # noqa: S608 - our names, no input
        f"ORDER BY queued_at DESC LIMIT {int(limit)}) AS newest_{{}}"
    )
    return " UNION ALL ".join(part.format(index) for index in range(len(job_ids)))


def alert_counts(alerts: QuerySet[Alert]) -> AlertCounts:
    active = alerts.exclude(state=State.RESOLVED)
    totals = active.aggregate(
        needs=Count("pk", filter=Q(state=State.OPEN, severity__gte=Severity.HIGH)),
        escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
    )
    rows = dict(active.values_list("severity").annotate(n=Count("pk")).values_list("severity", "n"))
    by_severity = {s.label: rows.get(s.value, 0) for s in sorted(Severity, reverse=True)}
    return AlertCounts(by_severity, totals["needs"], totals["escalated"])


def distinct_warehouses(alerts: QuerySet[Alert]) -> list[str]:
    return list(alerts.exclude(warehouse="").order_by("warehouse").values_list("warehouse", flat=True).distinct())


@dataclass(frozen=True)
class RunPage:
    """A run's page: its results with their first violations, and its alerts once they are settled."""

    results: Sequence[CheckResult]
    alerts: list[run_alerts.RunAlert]
    reviewed: bool  # final and its alerts settled: nothing on the page changes any more
    polls: bool  # live, or final with its review still to come
    slow: durations.SlowRun | None = None  # past one of its duration limits (running, or finished so)
    short: durations.ShortRun | None = None  # suspiciously short: far quicker than usual, far fewer rows


def run_page(execution: Execution, *, now: datetime) -> RunPage:
    """Bounded whatever the run found: two queries for the results and their first violations."""
    violations = Violation.objects.all() if execution.trigger == "change" else Violation.objects.defer("detail")
    first = violations.order_by("product_code", "pk")[:VIOLATIONS_SHOWN]  # a change run's show their culprits
    results = list(
        execution.check_results.order_by("check_name", "warehouse").prefetch_related(
            Prefetch("violations", queryset=first, to_attr="first_violations")
        )
    )
    for result in results:
        result.fixed_shown = result.fixed[:VIOLATIONS_SHOWN]  # type: ignore[attr-defined]
        result.fixed_count = len(result.fixed)  # type: ignore[attr-defined]
    slow = durations.slow_run(execution, now=now)
    if not execution.is_final:
        return RunPage(results, [], reviewed=False, polls=True, slow=slow)
    short = durations.short_run(execution)
    if execution.alerts_reviewed_at is not None:
        alerts = run_alerts.of_run(execution.pk)
        texts.prime(item.alert for item in alerts)  # the facts of their titles, read at once
        return RunPage(results, alerts, reviewed=True, polls=False, slow=slow, short=short)
    # A review comes within seconds, or from the sweep within its window; after that nobody waits for it.
    ended = execution.finished_at or execution.queued_at
    return RunPage(results, [], reviewed=False, polls=now - ended < REVIEW_WINDOW, slow=slow, short=short)


@dataclass(frozen=True)
class FailingConnection:
    connection: Connection
    reasons: list[str]


def failing_connections(connections: QuerySet[Connection]) -> list[FailingConnection]:
    """Connections whose last test failed, whose latest catalog refresh failed, or whose jobs' latest runs failed
    reading the ERP — three indexed-or-small queries, however many jobs and runs there are."""
    found: dict[int, list[str]] = defaultdict(list)
    for row in connections.filter(last_test_result__ok=False):
        steps = (row.last_test_result or {}).get("steps", [])
        failed: dict[str, Any] = next((s for s in steps if isinstance(s, dict) and not s.get("ok")), {})
        step, detail = failed.get("name", "?"), failed.get("detail", "")
        found[row.pk].append(_("its last test failed at step %(step)s: %(detail)s") % {"step": step, "detail": detail})
    for catalog in Catalog.objects.filter(connection__in=connections).exclude(error=""):
        found[catalog.connection_id].append(_("reading its catalog failed: %(error)s") % {"error": catalog.error})
    erp = Q()
    for prefix in ERP_ERRORS:
        erp |= Q(last_error__startswith=prefix)
    jobs = Job.objects.filter(erp, connection__in=connections, last_status__in=FAILURE_STATUSES)
    names: dict[int, list[str]] = defaultdict(list)
    for connection_id, name in jobs.order_by("name").values_list("connection_id", "name")[:FAILING_JOBS_READ]:
        names[connection_id].append(name)
    for connection_id, failed_jobs in names.items():
        shown = ", ".join(failed_jobs[:FAILING_JOBS_NAMED]) + (" …" if len(failed_jobs) > FAILING_JOBS_NAMED else "")
        found[connection_id].append(_("the latest run of %(jobs)s could not read the ERP") % {"jobs": shown})
    rows = connections.filter(pk__in=found).order_by("name")
    return [FailingConnection(row, found[row.pk]) for row in rows]
