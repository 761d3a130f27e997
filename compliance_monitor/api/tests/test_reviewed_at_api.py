"""Issue 17 in the API: a run says when its alerts are settled, and then lists what it raised, updated or resolved."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from compliance_monitor.alerts import raising
from compliance_monitor.checks.base import CheckOutcome, Violation
from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Job, Status


def outcome(warehouse: str, count: int) -> CheckOutcome:
    found = tuple(Violation(warehouse, f"P{i:03d}", quantity=1, unit="ks") for i in range(count))
    return CheckOutcome("warehouse.product_types", warehouse, found)


def finished(job: Job, *outcomes: CheckOutcome, ago: timedelta = timedelta(0)) -> Execution:
    now = timezone.now() - ago
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=now)
    lifecycle.claim(execution.pk, worker="w", now=now)
    lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, outcomes), now=now)
    return execution


def alerts_of(body: dict) -> list[tuple[str, str, str, str]]:
    return [(a["change"], a["warehouse"], a["severity"], a["state"]) for a in body["alerts"]]


def test_a_finished_run_says_its_alerts_are_not_settled_until_its_review(as_role, job) -> None:
    run = finished(job, outcome("MATERIAL", 12))
    viewer = as_role("viewer")

    before = viewer.call("GET", f"/executions/{run.pk}").json()
    raising.process_execution(run.pk, now=timezone.now())
    after = viewer.call("GET", f"/executions/{run.pk}").json()

    assert before["status"] == "succeeded" and before["alerts_reviewed_at"] is None and before["alerts"] is None
    assert after["alerts_reviewed_at"] is not None
    assert alerts_of(after) == [("raised", "MATERIAL", "critical", "open")]


def test_the_detail_lists_the_alerts_a_run_raised_updated_and_resolved(as_role, job) -> None:
    first = finished(job, outcome("MATERIAL", 12), outcome("ZBOZI", 1), ago=timedelta(hours=1))
    raising.process_execution(first.pk, now=timezone.now() - timedelta(hours=1))
    second = finished(job, outcome("MATERIAL", 3), outcome("ZBOZI", 0))
    raising.process_execution(second.pk, now=timezone.now())
    viewer = as_role("viewer")

    assert alerts_of(viewer.call("GET", f"/executions/{second.pk}").json()) == [
        ("updated", "MATERIAL", "medium", "open"),  # severity fell with the count
        ("resolved", "ZBOZI", "medium", "resolved"),
    ]
    assert alerts_of(viewer.call("GET", f"/executions/{first.pk}").json()) == [
        ("raised", "MATERIAL", "medium", "open"),
        ("raised", "ZBOZI", "medium", "resolved"),
    ]


def test_a_reviewed_run_that_changed_nothing_lists_no_alerts(as_role, job) -> None:
    run = finished(job, outcome("MATERIAL", 0))
    raising.process_execution(run.pk, now=timezone.now())
    body = as_role("viewer").call("GET", f"/executions/{run.pk}").json()
    assert body["alerts_reviewed_at"] is not None and body["alerts"] == []


def test_history_and_cancel_answers_carry_alerts_reviewed_at(as_role, job) -> None:
    run = finished(job)
    raising.process_execution(run.pk, now=timezone.now())
    queued = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())
    operator = as_role("operator")

    cancelled = operator.call("POST", f"/executions/{queued.pk}/cancel").json()
    history = {row["execution_id"]: row for row in operator.call("GET", "/jobs/compliance/executions").json()}

    assert cancelled["status"] == "cancelled" and cancelled["alerts_reviewed_at"] is not None
    assert history[str(run.pk)]["alerts_reviewed_at"] is not None
    assert history[str(queued.pk)]["alerts_reviewed_at"] == cancelled["alerts_reviewed_at"]
