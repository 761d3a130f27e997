"""Alerts: one open alert per problem, with the history of everything that happened to it.

A problem is identified by a fingerprint (type + connection + check + warehouse, or type + job): while its alert is
open, later runs update it instead of raising another; once resolved, a recurrence opens a new alert
linked to the previous one.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q


class AlertType(models.TextChoices):
    COMPLIANCE_VIOLATION = "compliance_violation"
    JOB_FAILURE = "job_failure"
    SYSTEM_ERROR = "system_error"
    PERFORMANCE_ISSUE = "performance_issue"


class Severity(models.IntegerChoices):
    """Ordered, so "at least high" is ``severity__gte=Severity.HIGH``."""

    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"
    CRITICAL = 4, "critical"


def severity_for(violation_count: int, thresholds: list[int] | None = None) -> Severity | None:
    """The seed's rule: > 10 critical, > 5 high, > 0 medium; no violations, no alert. A check definition may set
    its own ``thresholds`` ([critical, high, medium]); a count at or under them all is still LOW when > 0."""
    critical, high, medium = thresholds or (10, 5, 0)
    if violation_count > critical:
        return Severity.CRITICAL
    if violation_count > high:
        return Severity.HIGH
    if violation_count > medium:
        return Severity.MEDIUM
    if violation_count > 0:
        return Severity.LOW
    return None


class State(models.TextChoices):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Alert(models.Model):
    type = models.CharField(max_length=24, choices=AlertType.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    fingerprint = models.CharField(max_length=300, db_index=True)
    title = models.CharField(max_length=300)
    message = models.TextField(blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    connection = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="The ERP connection (company) it is about, by name."
    )
    check_name = models.CharField(max_length=100, blank=True)
    warehouse = models.CharField(max_length=64, blank=True, db_index=True)
    violation_count = models.PositiveIntegerField(default=0)
    violation_details = models.JSONField(default=list, blank=True, help_text="The offending products.")
    legacy_text = models.TextField(blank=True, help_text="'PROD001 (5ks), PROD002 (3ks)'")
    execution = models.ForeignKey(
        "jobs.Execution",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="raised_alerts",
        help_text="The run that raised it.",
    )
    last_execution = models.ForeignKey(
        "jobs.Execution",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The latest run that still found it.",
    )
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    raised_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_notes = models.TextField(blank=True)
    channels_notified = models.JSONField(default=list, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["state", "severity"], name="alert_state_severity")]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"], condition=~Q(state="resolved"), name="alert_one_unresolved_per_problem"
            )
        ]

    def __str__(self) -> str:
        return f"[{self.get_severity_display()}] {self.title}"

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label

    @property
    def is_active(self) -> bool:
        return self.state != State.RESOLVED

    @property
    def needs_acknowledgement(self) -> bool:
        return self.severity >= Severity.HIGH and self.state == State.OPEN

    @property
    def requires_immediate_attention(self) -> bool:
        return self.severity == Severity.CRITICAL and self.state == State.OPEN

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return self.acknowledged_at - self.raised_at if self.acknowledged_at else None

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self.resolved_at - self.raised_at if self.resolved_at else None


class EventKind(models.TextChoices):
    RAISED = "raised"
    UPDATED = "updated"  # seen again by a later run
    SEVERITY_CHANGED = "severity_changed"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    AUTO_RESOLVED = "auto_resolved"
    ESCALATED = "escalated"
    NOTIFIED = "notified"
    MUTED = "muted"  # a maintenance window held its notifications back
    EXCEPTION_ENDED = "exception_ended"  # products an accepted exception set aside count again


class AlertEvent(models.Model):
    """Everything that happened to an alert, in order: its history and audit trail."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    by = models.CharField(max_length=150, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class ExecutionReview(models.Model):
    """An execution whose alerts were processed: the claim that makes processing happen exactly once."""

    execution = models.OneToOneField("jobs.Execution", on_delete=models.CASCADE, related_name="alert_review")
    reviewed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.execution_id} reviewed {self.reviewed_at:%Y-%m-%d %H:%M}"
