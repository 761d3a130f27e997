"""Issue 16, the must-show: a job that slows down raises a performance alert while its run still runs — before its
timeout ends the run — with real workers (the heartbeat's watch in the worker raises it); the next run that
finishes normally resolves it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from compliance_monitor.alerts.models import Alert, AlertType, ExecutionReview, Severity, State
from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution, Job, Status
from compliance_monitor.notifications.models import Recipient
from tests.acceptance.helpers import make_job, trigger, wait_final
from tests.processes import wait_until

pytestmark = pytest.mark.workers


def usual_runs(job: Job, *, seconds: float, count: int) -> None:
    """Its history: ``count`` successful runs of ``seconds``, an hour apart, reviewed long ago."""
    now = timezone.now()
    for hours in range(count, 0, -1):
        started = now - timedelta(hours=hours)
        run = Execution.objects.create(
            job=job,
            trigger="manual",
            status=Status.SUCCEEDED,
            queued_at=started,
            started_at=started,
            finished_at=started + timedelta(seconds=seconds),
            duration_seconds=seconds,
            alerts_reviewed_at=started + timedelta(seconds=seconds),
        )
        ExecutionReview.objects.create(execution=run, reviewed_at=started + timedelta(seconds=seconds))


def performance_alert(job: Job, **filters: object) -> Alert | None:
    return Alert.objects.filter(type=AlertType.PERFORMANCE_ISSUE, job=job, **filters).first()


def test_a_job_that_slows_down_raises_a_performance_alert_before_its_timeout_ends_the_run(
    engine: object, smtp: Any
) -> None:
    """Shown failing (no alert while it runs; the review's safety net raises one only after the timeout) with the
    ``on_beat=`` argument dropped from the runner's ``heartbeat(...)`` call."""
    Recipient.objects.create(name="Admin", email="admin@example.com", is_administrator=True)  # high: at once
    already = len(smtp.messages)
    # Usually 1 s: slow after max(2 × 1 s, 1 s + 1 s) = 2 s; near the timeout at 40 % of 12 s = 4.8 s; the soft time
    # limit stops the run at 10 s (12 s less a 2 s grace).
    job = make_job(
        checks=["diagnostics.sleep"],
        default_parameters={"seconds": 30},
        timeout_seconds=12,
        max_retries=0,
        slow_run_margin_seconds=1,
        slow_run_timeout_percent=40,
    )
    usual_runs(job, seconds=1.0, count=5)
    execution = trigger(job)

    alert = wait_until(lambda: performance_alert(job), timeout=15, what="the performance alert")
    execution.refresh_from_db()
    assert execution.status == Status.RUNNING, "raised while the run still runs"
    assert (alert.severity, alert.execution_id) == (Severity.MEDIUM, execution.pk)
    high = wait_until(lambda: performance_alert(job, severity=Severity.HIGH), timeout=15, what="near the timeout")
    wait_until(lambda: len(smtp.messages) > already, timeout=5, what="the administrator's mail")
    execution.refresh_from_db()
    assert execution.status == Status.RUNNING, "raised to high and mailed while the run still runs"
    mail = smtp.messages[-1]
    assert mail["Subject"].startswith("[HIGH] Job job is near its timeout: running for ")
    assert "usually done within 1.0 s (p95 of its last 5 runs), slow after 2.0 s; its timeout is 12 s" in str(
        mail.get_payload()
    )

    done = wait_final(execution, timeout=20)
    assert done.status == Status.TIMED_OUT
    assert alert.raised_at < done.finished_at and done.started_at is not None
    assert timedelta(seconds=2) < alert.raised_at - done.started_at < timedelta(seconds=5)
    assert high.pk == alert.pk and Alert.objects.filter(type=AlertType.PERFORMANCE_ISSUE).count() == 1

    services.update_job(job, {"default_parameters": {"seconds": 0.1}}, now=timezone.now())
    normal = wait_final(trigger(job))
    resolved = wait_until(lambda: performance_alert(job, state=State.RESOLVED), timeout=15, what="the resolution")
    assert (normal.status, resolved.resolution_notes) == (Status.SUCCEEDED, f"resolved by run {normal.pk}")
