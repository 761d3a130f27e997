"""Jobs (schedule configurations) and their executions.

The database is the source of truth: an :class:`Execution` row exists (``queued``) before any broker
message names it, and every later state change is a conditional ``UPDATE`` on that row, so a lost
message or a killed worker is found and recovered from here (see ``reaper.py``).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now as utcnow
from django.utils.translation import gettext as _

from compliance_monitor.erp.models import default_connection
from compliance_monitor.jobs import cron as cronlib

DEFAULT_TIMEOUT_SECONDS = 20 * 60
ATTENTION_CONSECUTIVE_FAILURES = 3
HEALTHY_FAILURE_RATE = 10.0  # percent
LONG_RUNNING = timedelta(minutes=15)


# What an operator configures on a job, and what the engine keeps up to date on it. One list each, for
# the service (what may change), the admin (what is read-only) and every rendering of a job.
JOB_SETTINGS = (
    "description",
    "connection",
    "cron",
    "timezone",
    "checks",
    "warehouses",
    "default_parameters",
    "queue",
    "timeout_seconds",
    "max_retries",
    "retry_backoff_seconds",
    "auto_disable_on_failures",
    "max_consecutive_failures",
    "slow_run_factor",
    "slow_run_margin_seconds",
    "slow_run_timeout_percent",
    "short_run_percent",
)
JOB_STATE = (
    "enabled",
    "disabled_reason",
    "disabled_at",
    "disabled_by",
    "next_run_at",
    "last_run_at",
    "last_status",
    "last_success_at",
    "last_failure_at",
    "last_error",
    "execution_count",
    "failure_count",
    "consecutive_failures",
)


# The health rules as plain functions, so a summary of thousands of jobs can apply them to bare values.
def requires_attention(enabled: bool, consecutive_failures: int) -> bool:
    return not enabled or consecutive_failures >= ATTENTION_CONSECUTIVE_FAILURES


def failure_rate(execution_count: int, failure_count: int) -> float:
    """Failed runs as a percentage of all finished runs (0 when the job never ran)."""
    if not execution_count:
        return 0.0
    return round(100.0 * failure_count / execution_count, 2)


def is_healthy(enabled: bool, consecutive_failures: int, rate: float) -> bool:
    return enabled and consecutive_failures == 0 and rate < HEALTHY_FAILURE_RATE


def validate_finite(value: float) -> None:
    if not math.isfinite(value):
        raise ValidationError(_("must be a finite number"))


def default_timezone() -> str:
    from django.conf import settings

    return str(settings.TIME_ZONE)


class Job(models.Model):
    """A scheduled compliance job: what to check, when, and how to react to failure."""

    name = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    connection = models.ForeignKey(
        "erp.Connection",
        on_delete=models.PROTECT,
        related_name="jobs",
        help_text="The ERP company its checks read.",
    )
    cron = models.CharField(max_length=200, validators=[cronlib.validate_cron], help_text="minute hour dom month dow")
    timezone = models.CharField(max_length=64, default=default_timezone, validators=[cronlib.validate_timezone])
    checks = models.JSONField(default=list, help_text="Names of the compliance checks this job runs.")
    warehouses = models.JSONField(default=list, blank=True, help_text="Warehouse codes; empty = all.")
    default_parameters = models.JSONField(default=dict, blank=True)

    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_by = models.CharField(max_length=150, blank=True)

    queue = models.SlugField(
        max_length=100, default="runs", help_text="Celery queue its runs go to: dedicate workers to a job by queue."
    )
    timeout_seconds = models.PositiveIntegerField(
        default=DEFAULT_TIMEOUT_SECONDS, validators=[MinValueValidator(1), MaxValueValidator(24 * 3600)]
    )
    max_retries = models.PositiveSmallIntegerField(default=2, validators=[MaxValueValidator(10)])
    retry_backoff_seconds = models.PositiveIntegerField(default=60, validators=[MaxValueValidator(24 * 3600)])
    auto_disable_on_failures = models.BooleanField(default=True)
    max_consecutive_failures = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1)])

    # Duration anomalies (jobs/durations.py): "usual" is the p95 / median of the last 30 successful runs.
    slow_run_factor = models.FloatField(
        default=2.0,
        validators=[validate_finite, MinValueValidator(0), MaxValueValidator(100)],
        help_text="A running run is slow past this many times its usual p95 duration (and past the margin below); "
        "0: never compared with its history.",
    )
    slow_run_margin_seconds = models.PositiveIntegerField(
        default=300,
        validators=[MaxValueValidator(24 * 3600)],
        help_text="… and only once it has run this much longer than the usual p95 (short jobs vary a lot).",
    )
    slow_run_timeout_percent = models.PositiveSmallIntegerField(
        default=80,
        validators=[MaxValueValidator(99)],
        help_text="A running run is slow past this percentage of its timeout; 0: off.",
    )
    short_run_percent = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(100)],
        help_text="A successful run shorter than this percentage of the usual median that also read at most half "
        "the usual rows is flagged as suspicious; 0: off.",
    )

    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=16, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="Error of the latest failed run.")
    execution_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    consecutive_failures = models.PositiveIntegerField(default=0)

    # The no-overlap lease: which execution holds the job, and until when at the latest.
    lease_owner = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=utcnow)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("force_run_job", "Can force a run of a disabled job")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.connection_id is None:  # none named: the installation's default connection
            self.connection_id = default_connection()
        super().save(*args, **kwargs)

    @property
    def requires_attention(self) -> bool:
        return requires_attention(self.enabled, self.consecutive_failures)

    @property
    def failure_rate(self) -> float:
        return failure_rate(self.execution_count, self.failure_count)

    @property
    def is_healthy(self) -> bool:
        return is_healthy(self.enabled, self.consecutive_failures, self.failure_rate)

    @property
    def soft_time_limit(self) -> float:
        """When the run is asked to stop, leaving cleanup time before the hard kill at ``timeout_seconds``.

        The grace is 10 % of the timeout, at least 2 s (the pool checks limits about once a second, so a
        shorter gap lets both limits fire together) and at most 30 s; never more than half the timeout.
        """
        grace = min(30.0, max(2.0, self.timeout_seconds * 0.1), self.timeout_seconds / 2)
        return self.timeout_seconds - grace

    def next_runs(self, now: datetime, count: int = 5) -> list[datetime]:
        return cronlib.next_fire_times(self.cron, self.timezone, after=now, count=count)

    def retry_delay(self, attempt: int) -> timedelta:
        """Exponential backoff: the first retry waits ``retry_backoff_seconds``, each next one twice that."""
        return timedelta(seconds=self.retry_backoff_seconds * 2 ** max(0, attempt - 1))


class Status(models.TextChoices):
    """Life of an execution. ``queued`` and ``running`` are live; every other status is final.

    * queued — the row exists, a message was (or will be) sent; nobody claimed it yet.
    * running — a worker holds the job's lease and is working on it.
    * succeeded — every check ran (violations found are still a success of the run).
    * failed — a check raised; error type, message and traceback are recorded.
    * timed_out — the run hit its job's time limit and was stopped or killed.
    * skipped — the job was already running (``blocked_by``); nothing was done.
    * abandoned — its worker died or its message was lost; the reaper gave up on it.
    * cancelled — an operator cancelled it before it finished.
    """

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    SKIPPED = "skipped"
    ABANDONED = "abandoned"
    CANCELLED = "cancelled"


LIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
FAILURE_STATUSES = (Status.FAILED, Status.TIMED_OUT)


class Trigger(models.TextChoices):
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    RETRY = "retry"
    EMERGENCY = "emergency"  # a forced run of a disabled job
    CHANGE = "change"  # the ERP's change log said these scopes changed (jobs/changes.py)


class Execution(models.Model):
    """One run of a job, from the moment it was asked for to its final status."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="executions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    triggered_by = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    warehouses = models.JSONField(default=list, blank=True)
    checks = models.JSONField(default=list, blank=True, help_text="The checks this run runs; empty = the job's.")

    scheduled_for = models.DateTimeField(null=True, blank=True, help_text="The cron slot or retry time.")
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    blocked_by = models.UUIDField(null=True, blank=True, help_text="The run in progress that made this one skip.")

    error_type = models.CharField(max_length=200, blank=True)
    error_message = models.TextField(blank=True)
    error_traceback = models.TextField(blank=True)

    total_reports = models.PositiveIntegerField(default=0)
    successful_reports = models.PositiveIntegerField(default=0)
    violation_reports = models.PositiveIntegerField(default=0)
    context = models.JSONField(default=dict, blank=True)
    alerts_reviewed_at = models.DateTimeField(
        null=True, blank=True, help_text="When this final run's alerts were settled (null until then)."
    )

    class Meta:
        ordering = ["-queued_at"]
        indexes = [
            models.Index(fields=["job", "-queued_at"], name="execution_job_history"),
            models.Index(fields=["status", "queued_at"], name="execution_status_queued"),
            models.Index(fields=["queued_at"], name="execution_queued_at"),
        ]
        constraints = [
            # Two beats (or one beat re-sending) can never create two runs for the same cron slot.
            models.UniqueConstraint(
                fields=["job", "scheduled_for"],
                condition=models.Q(trigger="scheduled"),
                name="execution_one_per_cron_slot",
            )
        ]

    def __str__(self) -> str:
        return f"{self.job.name} {self.id} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status not in LIVE_STATUSES

    @property
    def is_long_running(self) -> bool:
        return self.status == Status.RUNNING and self.elapsed(utcnow()) > LONG_RUNNING

    def elapsed(self, now: datetime) -> timedelta:
        if self.started_at is None:
            return timedelta(0)
        return (self.finished_at or now) - self.started_at

    @property
    def looks_at_now(self) -> bool:
        """False for a run over a past date or overridden parameters: it stores results, changes no alert."""
        return self.parameters_look_at(self.started_at or self.queued_at)

    def parameters_look_at(self, now: datetime) -> bool:
        """No stock date but the day of ``now`` (in the service's time zone), no parameter overriding the job's:
        a look at the past (an audit of last month) stores its results and changes nothing."""
        from django.utils import timezone

        job = self.job
        today = timezone.localtime(now).date().isoformat()
        merged = {**job.default_parameters, **self.parameters}
        if str(merged.get("date") or today) != today:
            return False
        return all(key == "date" or job.default_parameters.get(key) == value for key, value in self.parameters.items())

    @property
    def is_partial(self) -> bool:
        """Some scopes or checks only: it proves nothing of the rest (no job-level recovery from it)."""
        return bool(self.warehouses or self.checks)

    @property
    def has_errors(self) -> bool:
        return self.status in FAILURE_STATUSES or bool(self.error_type)

    @property
    def has_violations(self) -> bool:
        return self.violation_reports > 0

    @property
    def success_rate(self) -> float:
        """Share of reports that passed, in percent (0 when the run produced no reports)."""
        if not self.total_reports:
            return 0.0
        return round(100.0 * self.successful_reports / self.total_reports, 2)


class PendingRecheck(models.Model):
    """Scopes of one check of one job that changes in the ERP asked to re-check, waiting for their run.

    Written in the transaction that advances the change feed's cursor, deleted in the one that queues the run:
    a crash in between loses nothing. ``scopes`` empty with ``all_scopes``: every scope of the check.
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="pending_rechecks")
    check_name = models.CharField(max_length=200)
    scopes = models.JSONField(default=list, blank=True)
    all_scopes = models.BooleanField(default=False)
    causes = models.JSONField(default=list, blank=True, help_text="The changes behind it (first ones, capped).")
    change_count = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(
        help_text="When its latest change came in (a full run started later covers it)."
    )
    due_at = models.DateTimeField(help_text="When the coalescing window closes and the run may be queued.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "check_name"], name="pending_recheck_one_per_check")]

    def __str__(self) -> str:
        return f"{self.job_id} {self.check_name} {'all' if self.all_scopes else self.scopes}"


class Beacon(models.Model):
    """The last time a periodic process proved it was alive (the sweep: beat and a control worker)."""

    name = models.CharField(max_length=50, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ConflictSnapshot(models.Model):
    """Every job's schedule-conflict warnings as last computed, and from what (``jobs/conflict_cache.py``).

    One row. ``fingerprint`` hashes the schedules the warnings were computed from (each enabled job's id,
    name, cron, time zone, checks, warehouses); ``messages`` is a JSON object: job id -> that job's warnings.
    JSON in a text column: it is only ever read whole, and PostgreSQL prints 2 MB of ``jsonb`` (1,000 jobs)
    in about three times the time of the same text.
    """

    fingerprint = models.CharField(max_length=64, blank=True)
    computed_at = models.DateTimeField()
    messages = models.TextField(default="{}", blank=True)

    def __str__(self) -> str:
        return f"schedule conflicts computed at {self.computed_at:%Y-%m-%d %H:%M:%S}"
