"""Housekeeping: executions older than the retention period are deleted in small batches, and so are the
config audit's entries (kept as long as the execution history)."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from auditlog.models import LogEntry
from django.conf import settings

from compliance_monitor.jobs.models import LIVE_STATUSES, Execution

log = structlog.get_logger(__name__)
BATCH_SIZE = 500


def delete_old_executions(*, now: datetime, days: int | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete final executions queued before ``now - days`` (and audit entries older than that); live ones stay."""
    cutoff = now - timedelta(days=days if days is not None else settings.CM_EXECUTION_RETENTION_DAYS)
    old = Execution.objects.filter(queued_at__lt=cutoff).exclude(status__in=LIVE_STATUSES)
    deleted = 0
    # Small batches keep each transaction (and SQLite's write lock) short.
    while batch := list(old.values_list("pk", flat=True)[:batch_size]):
        deleted += Execution.objects.filter(pk__in=batch).delete()[1].get("jobs.Execution", 0)
    if deleted:
        log.info("executions_deleted", count=deleted, older_than=cutoff.isoformat())
    delete_old_audit_entries(now=now, days=days, batch_size=batch_size)
    return deleted


def delete_old_audit_entries(*, now: datetime, days: int | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete config audit entries recorded before ``now - days`` (the execution retention by default)."""
    cutoff = now - timedelta(days=days if days is not None else settings.CM_EXECUTION_RETENTION_DAYS)
    old = LogEntry.objects.filter(timestamp__lt=cutoff)
    deleted = 0
    while batch := list(old.values_list("pk", flat=True)[:batch_size]):
        deleted += LogEntry.objects.filter(pk__in=batch).delete()[0]
    if deleted:
        log.info("audit_entries_deleted", count=deleted, older_than=cutoff.isoformat())
    return deleted
