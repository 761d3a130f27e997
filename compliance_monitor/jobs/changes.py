"""Change-triggered runs (issue 13): what the ERP's change log asks to re-check waits here, coalesced, and becomes
one run of each affected job limited to those scopes — through the same lease and history as every other run.

* :func:`ingest` — in one transaction: drop versions at or below the feed's cursor (duplicates: hook and poll
  both on, redeliveries), merge what the rest affect into :class:`PendingRecheck` rows (per job and check: scopes,
  causes, a window closing ``CM_CHANGE_WINDOW_SECONDS`` after the first change), advance the cursor. A crash
  before the commit re-reads the same changes; after it, they wait in the database.
* :func:`flush` — for each job whose window closed: one ``change`` run of its pending checks and scopes, queued in
  the transaction that deletes them. A job that is busy keeps them (they run right after: :func:`after_run`);
  a job whose last run failed keeps them too — while its ERP is failing, change runs pause.
* :func:`after_run` — a failed change run's scopes wait again (change runs are never retried); a successful full
  run covers everything that waited since before it started.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction

from compliance_monitor.checks import registry, triggers
from compliance_monitor.erp.change_feed import Batch, Resolved
from compliance_monitor.erp.models import ChangeFeed
from compliance_monitor.jobs import dispatch
from compliance_monitor.jobs.models import (
    FAILURE_STATUSES,
    Execution,
    Job,
    PendingRecheck,
    Status,
    Trigger,
)

log = structlog.get_logger(__name__)
FEED = "change feed"
MAX_CAUSES = 20  # kept per pending check and per run; the count says how many there were


@dataclass(frozen=True)
class Ingested:
    changes: int  # new changes (after the cursor)
    duplicates: int
    rechecks: int  # pending (job, check) rows touched
    due_at: datetime | None = None  # when the window of what was pended closes (None: nothing pended)


def ingest(feed_id: int, batch: Batch, *, now: datetime, waiting_since: datetime | None = None) -> Ingested:
    """Store what ``batch`` asks to re-check and advance the cursor, atomically; idempotent by version.

    ``waiting_since``: when the log was last read before (a poll's batch holds changes made since then, which have
    waited that long already): their window closes at most ``CM_CHANGE_WINDOW_SECONDS`` after it — a poll every
    10 s coalesces by itself and need not add 5 s more. None (a hook's prompt read): the window opens now."""
    with transaction.atomic():
        feed = ChangeFeed.objects.select_for_update(of=("self",)).select_related("connection").get(pk=feed_id)
        cursor = feed.cursor
        fresh = [r for r in batch.changes if cursor is None or r.change.version > cursor]
        due = _window_end(now, waiting_since)
        touched = _pend(feed, fresh, now, due=due) if fresh else 0
        _advance(feed, batch, fresh, now)
    if fresh:
        log.info("changes_ingested", connection=feed.connection.name, changes=len(fresh), rechecks=touched)
    return Ingested(len(fresh), len(batch.changes) - len(fresh), touched, due if touched else None)


def _window_end(now: datetime, waiting_since: datetime | None) -> datetime:
    window = timedelta(seconds=settings.CM_CHANGE_WINDOW_SECONDS)
    opened = now if waiting_since is None else min(now, max(waiting_since, now - window))
    return opened + window


def _advance(feed: ChangeFeed, batch: Batch, fresh: list[Resolved], now: datetime) -> None:
    versions = [v for v in (batch.through, *(r.change.version for r in fresh)) if v is not None]
    feed.cursor = max([feed.cursor or 0, *versions])  # an empty log that names no version: from the start
    feed.global_version = max([feed.global_version or 0, batch.global_version or 0, feed.cursor])
    if fresh:
        feed.last_change_at, feed.last_change = now, fresh[-1].to_cause()
        feed.changes_received += len(fresh)
    feed.last_read_at, feed.warning, feed.last_error = now, "", ""  # read to its end: no warning, error or lag
    if batch.skipped:
        feed.warning = f"{batch.skipped} malformed change log entr{'y' if batch.skipped == 1 else 'ies'} skipped"
        log.warning("change_log_entries_skipped", connection=feed.connection.name, skipped=batch.skipped)
    feed.updated_at = now
    feed.save()


def _pend(feed: ChangeFeed, changes: list[Resolved], now: datetime, *, due: datetime) -> int:
    wanted: dict[tuple[int, str], tuple[set[str], list[Resolved]]] = {}
    for job in Job.objects.filter(connection_id=feed.connection_id, enabled=True):
        for name in job.checks:
            check = registry.get(name)
            for resolved in changes:
                scope = triggers.affected_scope(check, resolved.change.evidence, resolved.warehouse)
                if scope is not None and _in_job(job, scope):
                    scopes, causes = wanted.setdefault((job.pk, name), (set(), []))
                    scopes.add(scope)
                    causes.append(resolved)
    for (job_id, name), (scopes, causes) in sorted(wanted.items(), key=lambda item: item[0]):  # lock order
        _merge(job_id, name, scopes, [c.to_cause() for c in causes], now, due=due)
    return len(wanted)


def _in_job(job: Job, scope: str) -> bool:
    return scope == triggers.ALL_SCOPES or not job.warehouses or scope in job.warehouses


def _merge(
    job_id: int, name: str, scopes: set[str], causes: list[dict[str, object]], now: datetime, *, due: datetime
) -> None:
    pending, _ = PendingRecheck.objects.select_for_update().get_or_create(
        job_id=job_id, check_name=name, defaults={"first_seen_at": now, "last_seen_at": now, "due_at": due}
    )
    pending.last_seen_at = max(pending.last_seen_at, now)
    pending.all_scopes = pending.all_scopes or triggers.ALL_SCOPES in scopes
    pending.scopes = [] if pending.all_scopes else sorted({*pending.scopes, *scopes})
    pending.causes = [*pending.causes, *causes][:MAX_CAUSES]
    pending.change_count += len(causes)
    pending.save()


def flush(*, now: datetime, job_ids: Iterable[int] | None = None) -> list[Execution]:
    """Queue the change runs whose coalescing window closed (for ``job_ids`` only, when given)."""
    due = PendingRecheck.objects.filter(due_at__lte=now)
    if job_ids is not None:
        due = due.filter(job_id__in=list(job_ids))
    queued = [queue_change_run(job_id, now=now) for job_id in sorted(set(due.values_list("job_id", flat=True)))]
    return [execution for execution in queued if execution is not None]


def queue_change_run(job_id: int, *, now: datetime) -> Execution | None:
    """One ``change`` run of the job's pending checks and scopes, queued as they are deleted; None while the job
    is disabled, busy or failing (they keep waiting)."""
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("connection").filter(pk=job_id).first()
        if job is None or not _may_run(job, now):
            return None
        pending = list(PendingRecheck.objects.select_for_update().filter(job=job, due_at__lte=now))
        if not pending:
            return None
        execution = _change_run(job, pending, now)
        PendingRecheck.objects.filter(pk__in=[p.pk for p in pending]).delete()
        dispatch.send_after_commit(execution, job)
    log.info(
        "execution_queued",
        job=job.name,
        execution_id=str(execution.pk),
        trigger=Trigger.CHANGE,
        checks=execution.checks,
        scopes=execution.warehouses or "all",
    )
    return execution


def _may_run(job: Job, now: datetime) -> bool:
    if not job.enabled or not job.connection.enabled:
        return False
    if job.last_status in (*FAILURE_STATUSES, Status.ABANDONED):
        return False  # paused while the job (its ERP) is failing: the next successful run covers what waits
    if job.lease_owner is not None and job.lease_expires_at is not None and job.lease_expires_at > now:
        return False  # busy: runs right after (after_run)
    return not Execution.objects.filter(job=job, status=Status.QUEUED).exists()


def _change_run(job: Job, pending: list[PendingRecheck], now: datetime) -> Execution:
    every = any(p.all_scopes for p in pending)
    scopes = sorted({s for p in pending for s in p.scopes})
    causes = [cause for p in pending for cause in p.causes][:MAX_CAUSES]
    count = sum(p.change_count for p in pending)
    versions = sorted({int(str(c["version"])) for c in causes})
    evidences = sorted({str(c["evidence"]) for c in causes})
    span = f"v{versions[0]}" + (f"–v{versions[-1]}" if len(versions) > 1 else "") if versions else ""
    reason = f"{count} change(s) in the ERP ({', '.join(evidences)}; {span})"
    return Execution.objects.create(
        job=job,
        trigger=Trigger.CHANGE,
        triggered_by=FEED,
        reason=reason[:500],
        warehouses=[] if every else scopes,  # pended within the job's warehouses (_in_job)
        checks=sorted({p.check_name for p in pending}),
        queued_at=now,
        context={"changes": causes, "change_count": count, "first_seen_at": _first(pending)},
    )


def _first(pending: list[PendingRecheck]) -> str:
    return min(p.first_seen_at for p in pending).isoformat()


def after_run(job: Job, execution: Execution, *, now: datetime) -> None:
    """Inside the finishing transaction: re-pend the scopes of a change run that did not succeed, or settle what a
    full run covered; then let the job's waiting scopes run (right after this commit)."""
    if execution.trigger == Trigger.CHANGE and execution.status in UNFINISHED:
        pend_again(execution, now=now)
    elif _covers_now(execution):
        # Only what was all seen before the run started: a change merged in while it ran may postdate its read.
        covered = PendingRecheck.objects.filter(job=job, last_seen_at__lte=execution.started_at)
        if covered.exists():
            log.info("changes_covered_by_run", job=job.name, checks=list(covered.values_list("check_name", flat=True)))
            covered.delete()
    if PendingRecheck.objects.filter(job=job).exists():
        transaction.on_commit(lambda: dispatch.send_flush(job.pk))


UNFINISHED = (*FAILURE_STATUSES, Status.ABANDONED, Status.CANCELLED, Status.SKIPPED)


def _covers_now(execution: Execution) -> bool:
    """A successful full run over today's data (not an audit of a past date): it read every scope afresh."""
    if execution.status != Status.SUCCEEDED or execution.is_partial or execution.started_at is None:
        return False
    return execution.looks_at_now


def pend_again(execution: Execution, *, now: datetime) -> None:
    """The scopes of a change run that did not finish wait again, with their causes (never dropped)."""
    scopes = set(execution.warehouses) or {triggers.ALL_SCOPES}
    causes = list(execution.context.get("changes") or [])
    window = timedelta(seconds=settings.CM_CHANGE_WINDOW_SECONDS)
    for name in execution.checks or execution.job.checks:
        _merge(execution.job_id, name, scopes, causes, now, due=now + window)
    log.info("change_run_pending_again", execution_id=str(execution.pk), status=execution.status)
