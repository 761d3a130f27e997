"""Request and response bodies of the REST API (JSON, snake_case, times ISO 8601 UTC, durations in seconds)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict


class Body(Schema):
    """Request bodies: strict types (JSON has real ones), so `true` is not a number and `"5"` not an integer."""

    model_config = ConfigDict(strict=True)


class ErrorOut(Schema):
    detail: Any = Field(..., description="What went wrong: a message, or a list of {loc, msg} per field.")


# The duration-anomaly thresholds (jobs/durations.py), described once for the create and the patch bodies.
SLOW_FACTOR = "A running run is slow past this many times the p95 of its last 30 successful runs; 0: off."
SLOW_MARGIN = "… and only once it has run this many seconds longer than that p95."
SLOW_TIMEOUT = "A running run is slow past this percentage of its timeout; 0: off."
SHORT_RUN = "A successful run under this percentage of the median duration that read at most half the rows is flagged."


class JobOut(Schema):
    name: str
    description: str
    connection: str = Field(..., description="The ERP connection (company) its checks read, by name.")
    cron: str
    timezone: str
    checks: list[str]
    warehouses: list[str]
    default_parameters: dict[str, Any]
    queue: str
    enabled: bool
    disabled_reason: str
    disabled_at: datetime | None
    disabled_by: str
    timeout_seconds: int
    max_retries: int
    retry_backoff_seconds: int
    auto_disable_on_failures: bool
    max_consecutive_failures: int
    slow_run_factor: float
    slow_run_margin_seconds: int
    slow_run_timeout_percent: int
    short_run_percent: int
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_status: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str
    execution_count: int
    failure_count: int
    consecutive_failures: int
    requires_attention: bool
    failure_rate: float
    is_healthy: bool
    schedule_conflicts: list[str] = Field(default_factory=list)


class JobIn(Body):
    name: str = Field(..., min_length=1, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")
    cron: str = Field(..., min_length=1, max_length=200)
    checks: list[str] = Field(..., min_length=1)
    description: str = Field("", max_length=300)
    connection: str | None = Field(
        None, max_length=64, description="The ERP connection to read, by name; default: the installation's default."
    )
    timezone: str | None = Field(None, max_length=64)
    warehouses: list[str] = Field(default_factory=list)
    default_parameters: dict[str, Any] = Field(default_factory=dict)
    queue: str = Field("runs", min_length=1, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")
    timeout_seconds: int = Field(20 * 60, ge=1, le=24 * 3600)
    max_retries: int = Field(2, ge=0, le=10)
    retry_backoff_seconds: int = Field(60, ge=0, le=24 * 3600)
    auto_disable_on_failures: bool = True
    max_consecutive_failures: int = Field(5, ge=1, le=1000)
    slow_run_factor: float = Field(2.0, ge=0, le=100, description=SLOW_FACTOR)
    slow_run_margin_seconds: int = Field(300, ge=0, le=24 * 3600, description=SLOW_MARGIN)
    slow_run_timeout_percent: int = Field(80, ge=0, le=99, description=SLOW_TIMEOUT)
    short_run_percent: int = Field(10, ge=0, le=100, description=SHORT_RUN)
    enabled: bool = True


class JobPatch(Body):
    """Only the fields given change."""

    cron: str | None = Field(None, min_length=1, max_length=200)
    timezone: str | None = Field(None, min_length=1, max_length=64)
    checks: list[str] | None = Field(None, min_length=1)
    description: str | None = Field(None, max_length=300)
    connection: str | None = Field(None, min_length=1, max_length=64)
    warehouses: list[str] | None = None
    default_parameters: dict[str, Any] | None = None
    queue: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")
    timeout_seconds: int | None = Field(None, ge=1, le=24 * 3600)
    max_retries: int | None = Field(None, ge=0, le=10)
    retry_backoff_seconds: int | None = Field(None, ge=0, le=24 * 3600)
    auto_disable_on_failures: bool | None = None
    max_consecutive_failures: int | None = Field(None, ge=1, le=1000)
    slow_run_factor: float | None = Field(None, ge=0, le=100, description=SLOW_FACTOR)
    slow_run_margin_seconds: int | None = Field(None, ge=0, le=24 * 3600, description=SLOW_MARGIN)
    slow_run_timeout_percent: int | None = Field(None, ge=0, le=99, description=SLOW_TIMEOUT)
    short_run_percent: int | None = Field(None, ge=0, le=100, description=SHORT_RUN)


class DisableIn(Body):
    reason: str = Field(..., min_length=1, max_length=500)


class TriggerIn(Body):
    parameters: dict[str, Any] = Field(default_factory=dict)
    warehouses: list[str] = Field(default_factory=list)
    reason: str = Field("", max_length=500)
    force: bool = Field(False, description="Run even though the job is disabled (admin only).")


class TriggerOut(Schema):
    execution_id: uuid.UUID
    status: str
    url: str


class ViolationOut(Schema):
    product_code: str
    product_name: str
    goods_group: str
    quantity: float
    unit: str
    change: str


class ViolationPageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[ViolationOut]
    next: str | None = Field(None, description="The next page, while there is one.")


VIOLATIONS_PER_RESULT = 100  # listed in a run's detail; the rest page through `violations_url`


class CheckResultOut(Schema):
    id: int
    check_name: str
    report_name: str
    warehouse: str
    status: str
    violation_count: int = Field(..., description="All of this result's violations.")
    message: str
    error: str
    violations: list[ViolationOut] = Field(..., description=f"The first {VIOLATIONS_PER_RESULT} (by product code).")
    violations_url: str = Field(..., description="Every violation, page by page.")
    fixed: list[dict[str, Any]] = Field(..., description=f"The first {VIOLATIONS_PER_RESULT} gone since the last read.")
    fixed_count: int
    rows_read: int | None = Field(..., description="Rows of a complete read (null when incomplete).")
    is_current: bool = Field(..., description="The run looked at 'now': only then may a result change alerts.")
    volume_note: str = Field(..., description="Why the rows read look collapsed (the volume guard); empty if not.")
    volume_accepted_by: str = Field(..., description="Who accepted that collapsed volume as real.")

    @staticmethod
    def resolve_violations(obj: Any) -> list[Any]:
        return list(getattr(obj, "first_violations", obj.violations.all()[:VIOLATIONS_PER_RESULT]))

    @staticmethod
    def resolve_violations_url(obj: Any) -> str:
        return f"/api/v1/executions/{obj.execution_id}/results/{obj.pk}/violations"

    @staticmethod
    def resolve_fixed(obj: Any) -> list[dict[str, Any]]:
        return list(obj.fixed[:VIOLATIONS_PER_RESULT])

    @staticmethod
    def resolve_fixed_count(obj: Any) -> int:
        return len(obj.fixed)


EXECUTION_FIELDS = (  # ExecutionOut's plain fields, for the fast history path (api/routers/jobs.py)
    "status",
    "trigger",
    "triggered_by",
    "reason",
    "parameters",
    "warehouses",
    "scheduled_for",
    "queued_at",
    "started_at",
    "finished_at",
    "duration_seconds",
    "worker",
    "heartbeat_at",
    "attempt",
    "blocked_by",
    "error_type",
    "error_message",
    "total_reports",
    "successful_reports",
    "violation_reports",
    "success_rate",
    "is_long_running",
    "has_errors",
    "has_violations",
    "alerts_reviewed_at",
)


class ExecutionOut(Schema):
    execution_id: uuid.UUID = Field(..., alias="id")
    job: str = Field(..., alias="job.name")
    status: str
    trigger: str
    triggered_by: str
    reason: str
    parameters: dict[str, Any]
    warehouses: list[str]
    checks: list[str] = Field(..., description="The checks this run ran; empty: all of the job's.")
    scheduled_for: datetime | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    worker: str
    heartbeat_at: datetime | None
    attempt: int
    blocked_by: uuid.UUID | None
    error_type: str
    error_message: str
    total_reports: int
    successful_reports: int
    violation_reports: int
    success_rate: float
    is_long_running: bool
    has_errors: bool
    has_violations: bool
    alerts_reviewed_at: datetime | None = Field(
        ..., description="When this final run's alerts were settled; null while live or under review."
    )


class RunAlertOut(Schema):
    id: int
    change: str = Field(..., description="What this run did to it: raised, updated or resolved.")
    type: str
    severity: str
    title: str
    warehouse: str
    state: str


class ChangeCauseOut(Schema):
    """A change in the ERP's change log that asked for this run, with its record's facts where the ERP gave them."""

    version: int
    evidence: str
    record: str
    operation: str
    warehouse: str = ""
    document: str = ""
    date: str = ""
    user: str = ""
    product: str = ""
    link: str = ""


class ExecutionDetailOut(ExecutionOut):
    error_traceback: str
    changes: list[ChangeCauseOut] = Field(
        default_factory=list, description="A change run's causes (the first ones), from the ERP's change log."
    )
    check_results: list[CheckResultOut] = Field(default_factory=list)
    alerts: list[RunAlertOut] | None = Field(
        None, description="The alerts this run raised, updated or resolved; null until alerts_reviewed_at is set."
    )

    @staticmethod
    def resolve_changes(obj: Any) -> list[dict[str, Any]]:
        causes = (obj.context or {}).get("changes") or [] if obj.trigger == "change" else []
        return [cause for cause in causes if isinstance(cause, dict)]

    @staticmethod
    def resolve_alerts(obj: Any) -> list[dict[str, Any]] | None:
        changed = getattr(obj, "run_alerts", None)
        if changed is None:
            return None
        return [
            {
                "id": c.alert.pk,
                "change": c.change,
                "type": c.alert.type,
                "severity": c.alert.severity_label,
                "title": c.alert.title,
                "warehouse": c.alert.warehouse,
                "state": c.alert.state,
            }
            for c in changed
        ]


class DailyOut(Schema):
    day: date
    count: int
    succeeded: int
    failed: int
    average_duration_seconds: float | None
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None


class TriggerDurationsOut(Schema):
    count: int
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None


class StatisticsOut(Schema):
    job: str
    period_start: datetime
    period_end: datetime
    total: int
    by_status: dict[str, int]
    success_rate: float
    average_duration_seconds: float | None
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    consecutive_failures: int
    is_healthy: bool
    daily: list[DailyOut]
    by_trigger: dict[str, TriggerDurationsOut] = Field(
        ..., description="Durations per trigger type (scheduled, manual, change…); the headline leaves change runs out."
    )


class JobHealthOut(Schema):
    name: str
    enabled: bool
    healthy: bool
    requires_attention: bool
    consecutive_failures: int
    failure_rate: float
    last_run_at: datetime | None
    last_status: str
    next_run_at: datetime | None
    last_error: str
    disabled_reason: str


class HealthOut(Schema):
    total: int
    enabled: int
    disabled: int
    failing: int
    requiring_attention: int
    is_healthy: bool
    checked_at: datetime
    jobs: list[JobHealthOut]


class AlertOut(Schema):
    id: int
    type: str
    severity: str = Field(..., alias="severity_label")
    title: str
    message: str
    connection: str = Field(..., description="The ERP connection (company) it is about; empty for the installation.")
    warehouse: str
    check_name: str
    violation_count: int
    legacy_text: str
    state: str
    raised_at: datetime
    last_seen_at: datetime
    occurrences: int
    execution_id: uuid.UUID | None
    previous_id: int | None
    acknowledged_by: str
    acknowledged_at: datetime | None
    resolved_by: str
    resolved_at: datetime | None
    resolution_notes: str
    channels_notified: list[str]
    escalated_at: datetime | None
    escalation_count: int
    needs_acknowledgement: bool
    requires_immediate_attention: bool


class AlertEventOut(Schema):
    at: datetime
    kind: str
    by: str
    detail: dict[str, Any]


class AlertDetailOut(AlertOut):
    violation_details: list[dict[str, Any]]
    events: list[AlertEventOut]


class ResolveIn(Body):
    notes: str = Field(..., min_length=1, max_length=5000)


class CleanupIn(Body):
    older_than_days: int = Field(..., ge=1, le=3650)


class CleanupOut(Schema):
    deleted: int


class AlertStatisticsOut(Schema):
    period_start: datetime
    period_end: datetime
    total: int
    active: int
    acknowledged: int
    resolved: int
    by_severity: dict[str, int]
    by_type: dict[str, int]
    by_warehouse: dict[str, int]
    mean_time_to_acknowledge_seconds: float | None
    mean_time_to_resolve_seconds: float | None


class InboxMessageOut(Schema):
    id: int
    title: str
    body: str
    alert_id: int | None
    created_at: datetime
    read_at: datetime | None


class InboxOut(Schema):
    unread: int
    items: list[InboxMessageOut]
