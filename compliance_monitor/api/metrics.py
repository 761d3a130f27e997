"""Prometheus exposition, computed from the database at scrape time (the database is the truth).

Every process (web, workers) would otherwise hold its own partial counters; reading the tables gives one
consistent answer from any web process.

``/metrics`` is read by a user (a bearer token's or a session's, ``probes.metrics_view``): for a user limited to
some companies, ``exposition(access.visible_connections(user))`` counts only their jobs, runs, alerts and deliveries
(installation-wide alerts left out). Prometheus should scrape with an unlimited user's token.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Count, Model, Q, QuerySet, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from compliance_monitor.alerts.models import Alert, Severity, State
from compliance_monitor.erp.models import ChangeFeed, FeedMode
from compliance_monitor.jobs.models import Execution, Job
from compliance_monitor.notifications.models import Delivery
from compliance_monitor.supervisor import STATE_FILE_NAME, read_state

DURATION_BUCKETS = (1, 5, 15, 60, 300, 600, 1200, 1800, 3600)
M = TypeVar("M", bound=Model)


class DatabaseCollector:
    """Every metric, of every connection (``connections`` None) or of the connections named (a limited user's)."""

    def __init__(self, connections: frozenset[str] | None = None) -> None:
        self.connections = connections

    def _of(self, rows: QuerySet[M], connection_field: str) -> QuerySet[M]:
        if self.connections is None:
            return rows
        return rows.filter(**{f"{connection_field}__in": self.connections})

    def collect(self) -> Iterator[Metric]:
        yield self._runs()
        yield self._durations()
        yield from self._jobs()
        yield self._open_alerts()
        yield self._deliveries()
        yield from self._feeds()
        if self.connections is None:  # the installation's processes: not one company's business
            yield from self._processes()

    def _runs(self) -> Metric:
        runs = CounterMetricFamily("compliance_runs", "Executions by job and status", labels=["job", "status"])
        executions = self._of(Execution.objects.all(), "job__connection__name")
        for job, status, count in executions.values_list("job__name", "status").annotate(n=Count("pk")):
            runs.add_metric([job, status], count)
        return runs

    def _durations(self) -> Metric:
        timed = self._of(Execution.objects.filter(duration_seconds__isnull=False), "job__connection__name")
        counts: dict[str, Any] = timed.aggregate(
            total=Count("pk"),
            seconds=Sum("duration_seconds"),
            **{f"le_{b}": Count("pk", filter=Q(duration_seconds__lte=b)) for b in DURATION_BUCKETS},
        )
        buckets = [(str(float(b)), counts[f"le_{b}"]) for b in DURATION_BUCKETS] + [("+Inf", counts["total"])]
        return HistogramMetricFamily(
            "compliance_run_duration_seconds", "Run durations", buckets=buckets, sum_value=counts["seconds"] or 0.0
        )

    def _jobs(self) -> Iterator[Metric]:
        enabled = GaugeMetricFamily("compliance_job_enabled", "1 when the job is enabled", labels=["job"])
        healthy = GaugeMetricFamily("compliance_job_healthy", "1 when the job is healthy", labels=["job"])
        for job in self._of(Job.objects.all(), "connection__name"):
            enabled.add_metric([job.name], int(job.enabled))
            healthy.add_metric([job.name], int(job.is_healthy))
        yield enabled
        yield healthy

    def _open_alerts(self) -> Metric:
        gauge = GaugeMetricFamily("compliance_open_alerts", "Unresolved alerts by severity", labels=["severity"])
        unresolved = self._of(Alert.objects.exclude(state=State.RESOLVED), "connection")
        found = dict(unresolved.values_list("severity").annotate(n=Count("pk")))
        for severity in Severity:
            gauge.add_metric([severity.label], found.get(int(severity), 0))
        return gauge

    def _deliveries(self) -> Metric:
        gauge = GaugeMetricFamily(
            "compliance_notification_deliveries", "Deliveries by channel and status", labels=["channel", "status"]
        )
        deliveries = self._of(Delivery.objects.all(), "alert__connection")
        for channel, status, count in deliveries.values_list("channel", "status").annotate(n=Count("pk")):
            gauge.add_metric([channel, status], count)
        return gauge

    def _feeds(self) -> Iterator[Metric]:
        """Per connection with a feed on: its lag (versions, seconds), what it received, the runs it caused."""
        versions = GaugeMetricFamily(
            "compliance_change_feed_lag_versions", "Versions behind the ERP", labels=["connection"]
        )
        seconds = GaugeMetricFamily(
            "compliance_change_feed_lag_seconds", "Seconds since the change log was read whole", labels=["connection"]
        )
        received = CounterMetricFamily("compliance_changes_received", "Changes received", labels=["connection"])
        now = timezone.now()
        for feed in self._of(ChangeFeed.objects.exclude(mode=FeedMode.OFF), "connection__name").select_related(
            "connection"
        ):
            name = feed.connection.name
            lag = feed.lag_seconds(now)
            versions.add_metric([name], feed.lag_versions() or 0)
            seconds.add_metric([name], lag if lag is not None else float("nan"))
            received.add_metric([name], feed.changes_received)
        runs = CounterMetricFamily("compliance_change_runs", "Runs triggered by ERP changes", labels=["job"])
        triggered = self._of(Execution.objects.filter(trigger="change"), "job__connection__name")
        for job, count in triggered.values_list("job__name").annotate(n=Count("pk")):
            runs.add_metric([job], count)
        yield from (versions, seconds, received, runs)

    def _processes(self) -> Iterator[Metric]:
        """``manage.py serve``'s children: up or not, and their restarts (nothing when no supervisor runs)."""
        state = read_state(settings.DATA_DIR / STATE_FILE_NAME)
        if state is None:
            return
        up = GaugeMetricFamily("compliance_process_up", "1 when the supervised process runs", labels=["process"])
        restarts = CounterMetricFamily("compliance_process_restarts", "Restarts by the supervisor", labels=["process"])
        for name, process in state["processes"].items():
            up.add_metric([name], int(bool(process.get("running"))))
            restarts.add_metric([name], int(process.get("restarts") or 0))
        yield from (up, restarts)


def exposition(connections: frozenset[str] | None = None) -> bytes:
    """The metrics of every connection, or of the connections named (``access.visible_connections(user)``)."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(connections))
    return generate_latest(registry)
