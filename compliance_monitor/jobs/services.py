"""Use cases of the job engine (the seed's ``IJobsAppService``): one function each.

API, dashboard, CLI, admin and Celery tasks all call these; none of them touches models directly
for a state change. Time is always passed in as ``now``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance_monitor.checks import registry
from compliance_monitor.erp.models import Connection, default_connection
from compliance_monitor.jobs import conflict_cache, cron, dispatch, lifecycle, scheduler
from compliance_monitor.jobs.models import JOB_SETTINGS, Execution, Job, Status, Trigger

log = structlog.get_logger(__name__)
SCHEDULER = "scheduler"
DEFAULT_JOB_NAME = "warehouse-compliance"
DEFAULT_HISTORY_LIMIT = 50
MAX_HISTORY_LIMIT = 1000
# Job fields an operator may change; everything else is bookkeeping kept by the engine.
EDITABLE_FIELDS = frozenset(JOB_SETTINGS)


class JobDisabledError(Exception):
    """A manual run of a disabled job without ``force``."""

    def __init__(self, job: Job) -> None:
        super().__init__(
            f"job {job.name!r} is disabled ({job.disabled_reason or 'no reason given'}); "
            "an administrator may force a run"
        )
        self.job = job


def get_job(name: str) -> Job:
    """Raises ``Job.DoesNotExist`` for an unknown name."""
    return Job.objects.get(name=name)


def is_enabled(name: str) -> bool:
    return Job.objects.filter(name=name, enabled=True).exists()


def all_jobs() -> list[Job]:
    return list(Job.objects.select_related("connection"))


def validate_job(job: Job) -> None:
    """Field validation (cron, time zone, limits) plus the check names; errors are keyed by field."""
    errors: dict[str, list[str]] = {}
    if job.connection_id is None:  # none named: the installation's default connection
        job.connection_id = default_connection()
    try:
        job.full_clean(validate_unique=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for field, validate in (("checks", registry.validate_check_names), ("warehouses", _validate_codes)):
        try:
            validate(getattr(job, field))
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    if not isinstance(job.default_parameters, dict):
        errors.setdefault("default_parameters", []).append("default_parameters must be an object")
    if errors:
        raise ValidationError(errors)


def _validate_codes(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValidationError(_("warehouses must be a list of warehouse codes"))


def save_job(job: Job, *, now: datetime) -> Job:
    """Validate, compute the next run and mirror the schedule into beat — all or nothing."""
    validate_job(job)
    job.next_run_at = _next_run(job, now)
    with transaction.atomic():
        job.save()
        scheduler.sync(job)
        conflict_cache.refresh_after_commit(now=now)
    return job


def _next_run(job: Job, now: datetime) -> datetime | None:
    if not job.enabled:
        return None
    fires = job.next_runs(now, count=1)
    return fires[0] if fires else None


def create_job(*, now: datetime, **fields: Any) -> Job:
    unknown = set(fields) - EDITABLE_FIELDS - {"name", "enabled"}
    if unknown:
        raise ValidationError({field: [_("unknown field")] for field in sorted(unknown)})
    job = save_job(Job(**_resolved(fields)), now=now)
    log.info("job_created", job=job.name, cron=job.cron, timezone=job.timezone)
    return job


def _resolved(fields: dict[str, Any]) -> dict[str, Any]:
    """A connection may be named: the API, the CLI and the dashboard give its name."""
    name = fields.get("connection")
    if not isinstance(name, str):
        return fields
    connection = Connection.objects.filter(name=name).first()
    if connection is None:
        raise ValidationError({"connection": [_("no ERP connection named %(name)s") % {"name": repr(name)}]})
    return {**fields, "connection": connection}


def update_job(job: Job, changes: dict[str, Any], *, now: datetime) -> Job:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({field: [_("cannot be changed")] for field in sorted(unknown)})
    for field, value in _resolved(changes).items():
        setattr(job, field, value)
    save_job(job, now=now)
    log.info("job_updated", job=job.name, fields=sorted(changes))
    return job


def update_schedule(job: Job, *, cron_expression: str, tz: str | None = None, now: datetime) -> Job:
    changes: dict[str, Any] = {"cron": cron_expression}
    if tz is not None:
        changes["timezone"] = tz
    return update_job(job, changes, now=now)


def delete_job(job: Job, *, now: datetime | None = None) -> None:
    with transaction.atomic():
        scheduler.remove(job)
        job.delete()
        conflict_cache.refresh_after_commit(now=now or timezone.now())
    log.info("job_deleted", job=job.name)


def enable(job: Job, *, by: str, now: datetime) -> Job:
    """Enable a job; its failure streak starts over. The whole configuration was kept while disabled."""
    job.enabled = True
    job.disabled_reason, job.disabled_at, job.disabled_by = "", None, ""
    job.consecutive_failures = 0
    save_job(job, now=now)
    log.info("job_enabled", job=job.name, by=by)
    return job


def disable(job: Job, *, reason: str, by: str, now: datetime) -> Job:
    job.enabled = False
    job.disabled_reason = reason.strip() or "disabled by an operator"
    job.disabled_at, job.disabled_by = now, by
    save_job(job, now=now)
    log.info("job_disabled", job=job.name, by=by, reason=job.disabled_reason)
    return job


def trigger(
    job: Job,
    *,
    by: str,
    now: datetime,
    parameters: dict[str, Any] | None = None,
    warehouses: list[str] | None = None,
    reason: str = "",
    force: bool = False,
) -> Execution:
    """Queue a manual run and return its execution at once (the seed's ``TriggerJobAsync``).

    A disabled job runs only with ``force`` (the caller checks that the actor may force); such a run
    is recorded with the ``emergency`` trigger.
    """
    if not job.enabled and not force:
        raise JobDisabledError(job)
    _validate_run_input(job, parameters, warehouses)
    execution = Execution(
        job=job,
        trigger=Trigger.MANUAL if job.enabled else Trigger.EMERGENCY,
        triggered_by=by,
        reason=reason,
        parameters=parameters or {},
        warehouses=warehouses or [],
        queued_at=now,
    )
    with transaction.atomic():
        execution.save()
        dispatch.send_after_commit(execution, job)
    log.info("execution_queued", job=job.name, execution_id=str(execution.pk), trigger=execution.trigger, by=by)
    return execution


def _validate_run_input(job: Job, parameters: object, warehouses: object) -> None:
    if parameters is not None and not isinstance(parameters, dict):
        raise ValidationError({"parameters": [_("parameters must be an object")]})
    if warehouses:
        try:
            _validate_codes(warehouses)
            _validate_known_warehouses(job, warehouses)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise ValidationError({"warehouses": exc.messages}) from exc


def _validate_known_warehouses(job: Job, warehouses: list[str]) -> None:
    """An unknown warehouse is refused before the run, by the checks that know their warehouses."""
    for name in job.checks:
        known = getattr(registry.get(name), "known_warehouses", None)
        codes = known(job.connection) if known is not None else None
        if codes is None:
            continue
        unknown = sorted(set(warehouses) - set(codes))
        if unknown:
            raise ValidationError(f"unknown warehouse(s) {', '.join(unknown)} for check {name}")


def trigger_scheduled(job_id: int, *, now: datetime) -> Execution | None:
    """A beat tick: queue the run for the current cron slot, once, and only for an enabled job."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not job.enabled:
        return None  # a tick that raced a disable records nothing
    slot = cron.latest_fire_time(job.cron, job.timezone, at=now, within=timedelta(hours=1))
    execution = Execution(
        job=job,
        trigger=Trigger.SCHEDULED,
        triggered_by=SCHEDULER,
        queued_at=now,
        scheduled_for=slot or now.replace(second=0, microsecond=0),
    )
    try:
        with transaction.atomic():
            execution.save()
            Job.objects.filter(pk=job.pk).update(next_run_at=_next_run(job, now))
            dispatch.send_after_commit(execution, job)
    except IntegrityError:
        log.info("scheduled_tick_duplicate", job=job.name, slot=str(execution.scheduled_for))
        return None
    log.info("execution_queued", job=job.name, execution_id=str(execution.pk), trigger=Trigger.SCHEDULED)
    return execution


class ExecutionFinishedError(Exception):
    """Cancel of a run that already ended."""


def cancel(execution: Execution, *, by: str, now: datetime) -> Execution:
    """Cancel a queued or running execution; it counts neither as a run nor as a failure.

    A queued run never starts (its message finds it cancelled). A running one is marked cancelled and its
    lease released at once, so the job can run again; whatever its worker reports afterwards is discarded.
    The worker slot is freed when the current check returns, at the latest at the job's time limit — we do
    not kill it: terminating a prefork pool child (Celery's revoke with terminate) can kill it while it holds
    the pool's queue lock and leave the whole worker unable to start another task.
    """
    result = lifecycle.Result(Status.CANCELLED, error_type="Cancelled", error_message=f"cancelled by {by}")
    for live in (Status.QUEUED, Status.RUNNING):
        if lifecycle.finish(execution.pk, result, now=now, from_status=live):
            log.info("execution_cancelled", execution_id=str(execution.pk), by=by, was=live)
            execution.refresh_from_db()
            return execution
    execution.refresh_from_db()
    raise ExecutionFinishedError(f"execution {execution.pk} already ended ({execution.status})")


def history(job: Job, *, limit: int = DEFAULT_HISTORY_LIMIT) -> list[Execution]:
    """Newest first (the seed's ``GetJobExecutionHistoryAsync``)."""
    if not 1 <= limit <= MAX_HISTORY_LIMIT:
        raise ValidationError({"limit": [f"limit must be between 1 and {MAX_HISTORY_LIMIT}"]})
    # The list never shows tracebacks or context: leave those (possibly large) columns in the database.
    return list(job.executions.defer("error_traceback", "context").order_by("-queued_at")[:limit])


def ensure_default_jobs(*, now: datetime) -> list[Job]:
    """Create the default hourly compliance job when missing; an existing one is never overwritten."""
    if Job.objects.filter(name=DEFAULT_JOB_NAME).exists():
        return []
    job = create_job(
        now=now,
        name=DEFAULT_JOB_NAME,
        description="Hourly check that every warehouse holds only the goods types it may hold",
        cron="0 * * * *",
        checks=default_checks(),
    )
    return [job]


DEMO_JOB_NAME = "demo-every-10-minutes"


def ensure_demo(*, now: datetime) -> list[Execution]:
    """Demo profile: a frequent job (the demo stock drifts every 10 minutes) and a first run right away."""
    if not Job.objects.filter(name=DEMO_JOB_NAME).exists():
        create_job(
            now=now,
            name=DEMO_JOB_NAME,
            description="Demo: the synthetic company's stock drifts, so violations come and go between runs",
            cron="*/10 * * * *",
            checks=default_checks(),
        )
    _demo_feed(now)
    _demo_dispatch_rule()
    never_ran = Job.objects.filter(enabled=True, execution_count=0, executions__isnull=True)
    return [trigger(job, by="serve", now=now, reason="first run at start-up") for job in never_ran]


def _demo_dispatch_rule() -> None:
    """The demo company's dispatch store holds products only, and is checked: a misplaced booking there (the demo's
    scenario action) raises a new alert. Created when missing; a rule someone changed is left as it is."""
    from compliance_monitor.checks.models import WarehouseRule
    from compliance_monitor.erp import synthetic
    from compliance_monitor.erp.models import Connection

    store = synthetic.DISPATCH
    for demo in Connection.objects.filter(is_demo=True):
        WarehouseRule.objects.get_or_create(
            connection=demo,
            warehouse_code=store.code,
            defaults={"warehouse_id": store.id, "report_name": "", "allowed": ["8", "1"]},
        )


def _demo_feed(now: datetime) -> None:
    """The demo company's change feed polls by default (its bookings become alerts in seconds); a feed someone
    switched is left as it is."""
    from compliance_monitor.erp import change_feed
    from compliance_monitor.erp.models import Connection, FeedMode

    for demo in Connection.objects.filter(is_demo=True, change_feed__isnull=True):
        change_feed.set_mode(demo, FeedMode.POLL, now=now)


def default_checks() -> list[str]:
    from compliance_monitor.checks.warehouse import CHECK_NAME

    return [CHECK_NAME]
