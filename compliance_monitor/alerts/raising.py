"""Turning a finished execution into alert changes: raise, update, escalate severity, auto-resolve.

Runs after the execution's transaction committed (as its own task: a failure here never fails the run).
Idempotent: an execution is reviewed once, claimed by its :class:`ExecutionReview` row in the same
transaction as the alert changes, so a retried or duplicated task changes nothing the second time.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from django.db import IntegrityError, transaction

from compliance_monitor.alerts import performance, returned
from compliance_monitor.alerts.changes import SYSTEM, Change, is_open, raise_or_update, resolve
from compliance_monitor.alerts.deadman import missed_fingerprint
from compliance_monitor.alerts.models import AlertType, ExecutionReview, Severity, severity_for
from compliance_monitor.checks.base import WHOLE_EVIDENCE
from compliance_monitor.checks.models import CheckResult, ResultStatus
from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.models import Execution, Job, Status
from compliance_monitor.notifications import outbox

log = structlog.get_logger(__name__)
FAILED = (Status.FAILED, Status.TIMED_OUT, Status.ABANDONED)
MAX_DETAILS = 200  # offenders kept on the alert itself; the run keeps them all


def process_execution(execution_id: uuid.UUID, *, now: datetime) -> list[Change]:
    execution = Execution.objects.select_related("job").get(pk=execution_id)
    if execution.status in (Status.QUEUED, Status.RUNNING, Status.SKIPPED, Status.CANCELLED):
        return []
    try:
        with transaction.atomic():
            ExecutionReview.objects.create(execution=execution, reviewed_at=now)
            changes = _review(execution, now)
            lifecycle.mark_reviewed(execution.pk, now=now)  # readers may now trust the alerts of this run
            for change in changes:  # the deliveries (and digest items) commit with the alert change (outbox)
                if change.notify:
                    outbox.enqueue(change.alert, change.kind, now=now)
                else:  # a severity fall, a resolution: told in digests only
                    outbox.note(change.alert, change.kind, now=now)
    except IntegrityError:
        return []  # reviewed already (a duplicate task)
    for change in changes:
        log.info(
            "alert_changed",
            alert=change.alert.pk,
            kind=change.kind,
            severity=change.alert.severity,
            fingerprint=change.alert.fingerprint,
            notify=change.notify,
            execution_id=str(execution_id),
        )
    return changes


def _review(execution: Execution, now: datetime) -> list[Change]:
    """Each scope stands on its own read: a complete read raises, updates and resolves its alerts, an
    incomplete one leaves them exactly as they are — whether the run as a whole succeeded or failed.
    A run that did not look at "now" (a past date, overridden parameters) changes no alert at all."""
    job = execution.job
    current = execution.looks_at_now
    results = [r for r in execution.check_results.all() if current and r.is_current and r.is_complete]
    fresh = [r for r in results if not _superseded(r, execution)]  # a late review never overrides a newer read
    changes = [c for result in fresh for c in (*_compliance(result, execution, now), *_volume(result, execution, now))]
    if current and not _job_superseded(execution):
        if execution.status == Status.SUCCEEDED and not execution.is_partial:  # a subset proves nothing of the rest
            recovered = [job_failure_fingerprint(job), missed_fingerprint(job)]
            changes += [c for fingerprint in recovered for c in resolve(fingerprint, execution, now)]
        elif execution.status in FAILED:
            changes += _job_failure(job, execution, now)
        changes += performance.review(execution, now)
    if not job.enabled and job.disabled_by == SYSTEM and job.disabled_at == execution.finished_at:
        changes += _job_auto_disabled(job, execution, now)
    return changes


def _superseded(result: CheckResult, execution: Execution) -> bool:
    """A newer complete read of the same scope exists (reviews may come late: a lost message, a retry)."""
    if execution.started_at is None:
        return False
    return CheckResult.objects.filter(
        connection=result.connection,
        check_name=result.check_name,
        warehouse=result.warehouse,
        is_current=True,
        status__in=(ResultStatus.PASSED, ResultStatus.VIOLATED),
        execution__started_at__gt=execution.started_at,
    ).exists()


def _job_superseded(execution: Execution) -> bool:
    """A newer run of the job was reviewed already: its verdict on the job's health stands."""
    if execution.started_at is None:
        return False
    newer = Execution.objects.filter(job_id=execution.job_id, started_at__gt=execution.started_at)
    return newer.filter(alert_review__isnull=False).exists()


def compliance_fingerprint(connection: str, check: str, warehouse: str) -> str:
    return f"{AlertType.COMPLIANCE_VIOLATION}:{connection}:{check}:{warehouse}"


def job_failure_fingerprint(job: Job) -> str:
    return f"{AlertType.JOB_FAILURE}:{job.name}"


def volume_fingerprint(connection: str, check: str, warehouse: str) -> str:
    return f"volume:{connection}:{check}:{warehouse}"


def _compliance(result: CheckResult, execution: Execution, now: datetime) -> list[Change]:
    """A complete read of one scope: violations raise or update its alert, a clean read resolves it —
    unless the read is suspect (its rows collapsed), which resolves nothing."""
    fingerprint = compliance_fingerprint(result.connection, result.check_name, result.warehouse)
    if result.status == ResultStatus.PASSED:
        return [] if result.is_suspect else resolve(fingerprint, execution, now)
    severity = severity_for(result.violation_count, result.thresholds)
    if result.status != ResultStatus.VIOLATED or severity is None:
        return []
    if result.is_suspect and is_open(fingerprint):
        return []  # a collapsed read may raise a new problem, never rewrite (or understate) an open one
    details = list(
        result.violations.values("product_code", "product_name", "goods_group", "quantity", "unit", "change")[
            :MAX_DETAILS
        ]
    )
    facts = {
        "type": AlertType.COMPLIANCE_VIOLATION,
        "title": _title(result),
        "message": f"{result.report_name or result.check_name}: {result.message}",
        "connection": result.connection,
        "check_name": result.check_name,
        "warehouse": result.warehouse,
        "violation_count": result.violation_count,
        "violation_details": details,
        "legacy_text": result.message,
    }
    changes = raise_or_update(fingerprint, severity, facts, execution, now)
    return returned.told(changes, returned.returned_codes(result), now)


def _title(result: CheckResult) -> str:
    count, company = result.violation_count, company_suffix(result.connection)
    if not result.check_title:  # the original warehouse reports
        return f"{count} misplaced product{'s' if count != 1 else ''} in warehouse {result.warehouse}{company}"
    where = "" if result.warehouse == WHOLE_EVIDENCE else f" in {result.warehouse}"
    return f"{result.check_title}: {count} finding{'s' if count != 1 else ''}{where}{company}"


def _volume(result: CheckResult, execution: Execution, now: datetime) -> list[Change]:
    fingerprint = volume_fingerprint(result.connection, result.check_name, result.warehouse)
    if not result.is_suspect:
        return resolve(fingerprint, execution, now)
    facts = {
        "type": AlertType.SYSTEM_ERROR,
        "title": result.volume_note,
        "message": f"{result.report_name or result.check_name}: the rows read collapsed, so its open alerts are not "
        f"resolved by this read. If the new volume is real, an administrator accepts it: "
        f"`manage.py alerts accept-volume {result.warehouse} --check {result.check_name} "
        f"--connection {result.connection}`.",
        "connection": result.connection,
        "check_name": result.check_name,
        "warehouse": result.warehouse,
    }
    return raise_or_update(fingerprint, Severity.HIGH, facts, execution, now)


def _job_failure(job: Job, execution: Execution, now: datetime) -> list[Change]:
    facts = {
        "type": AlertType.JOB_FAILURE,
        "title": f"Job {job.name} {execution.get_status_display()}",
        "connection": job.connection.name,
        "message": f"{execution.error_type}: {execution.error_message}",
    }
    return raise_or_update(job_failure_fingerprint(job), Severity.HIGH, facts, execution, now)


def _job_auto_disabled(job: Job, execution: Execution, now: datetime) -> list[Change]:
    facts = {
        "type": AlertType.JOB_FAILURE,
        "title": f"Job {job.name} disabled itself after {job.consecutive_failures} consecutive failures",
        "connection": job.connection.name,
        "message": f"{job.disabled_reason}. Last error: {job.last_error}. Once the cause is fixed, enable it with "
        f"`manage.py jobs enable {job.name}` (or in the admin); that also resets its failure count.",
    }
    return raise_or_update(f"job_disabled:{job.name}", Severity.CRITICAL, facts, execution, now)


def company_suffix(connection: str) -> str:
    """`` (Acme s.r.o.)``: the company an alert is about, by its connection's title (or name)."""
    title = Connection.objects.filter(name=connection).values_list("title", flat=True).first()
    return f" ({title or connection})" if connection else ""
