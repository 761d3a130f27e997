"""Prometheus exposition, computed from the database at scrape time (the database is the truth).

Every process (web, workers) would otherwise hold its own partial counters; reading the tables gives one
consistent answer from any web process.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Q, Sum
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from compliance_monitor.alerts.models import Alert, Severity, State
from compliance_monitor.jobs.models import Execution, Job
from compliance_monitor.notifications.models import Delivery

DURATION_BUCKETS = (1, 5, 15, 60, 300, 600, 1200, 1800, 3600)


class DatabaseCollector:
    def collect(self) -> Iterator[Metric]:
        yield self._runs()
        yield self._durations()
        yield from self._jobs()
        yield self._open_alerts()
        yield self._deliveries()

    @staticmethod
    def _runs() -> Metric:
        runs = CounterMetricFamily("compliance_runs", "Executions by job and status", labels=["job", "status"])
        for job, status, count in Execution.objects.values_list("job__name", "status").annotate(n=Count("pk")):
            runs.add_metric([job, status], count)
        return runs

    @staticmethod
    def _durations() -> Metric:
        counts = Execution.objects.filter(duration_seconds__isnull=False).aggregate(
            total=Count("pk"),
            seconds=Sum("duration_seconds"),
            **{f"le_{b}": Count("pk", filter=Q(duration_seconds__lte=b)) for b in DURATION_BUCKETS},
        )
        buckets = [(str(float(b)), counts[f"le_{b}"]) for b in DURATION_BUCKETS] + [("+Inf", counts["total"])]
        return HistogramMetricFamily(
            "compliance_run_duration_seconds", "Run durations", buckets=buckets, sum_value=counts["seconds"] or 0.0
        )

    @staticmethod
    def _jobs() -> Iterator[Metric]:
        enabled = GaugeMetricFamily("compliance_job_enabled", "1 when the job is enabled", labels=["job"])
        healthy = GaugeMetricFamily("compliance_job_healthy", "1 when the job is healthy", labels=["job"])
        for job in Job.objects.all():
            enabled.add_metric([job.name], int(job.enabled))
            healthy.add_metric([job.name], int(job.is_healthy))
        yield enabled
        yield healthy

    @staticmethod
    def _open_alerts() -> Metric:
        gauge = GaugeMetricFamily("compliance_open_alerts", "Unresolved alerts by severity", labels=["severity"])
        found = dict(Alert.objects.exclude(state=State.RESOLVED).values_list("severity").annotate(n=Count("pk")))
        for severity in Severity:
            gauge.add_metric([severity.label], found.get(int(severity), 0))
        return gauge

    @staticmethod
    def _deliveries() -> Metric:
        gauge = GaugeMetricFamily(
            "compliance_notification_deliveries", "Deliveries by channel and status", labels=["channel", "status"]
        )
        for channel, status, count in Delivery.objects.values_list("channel", "status").annotate(n=Count("pk")):
            gauge.add_metric([channel, status], count)
        return gauge


def exposition() -> bytes:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    return generate_latest(registry)
