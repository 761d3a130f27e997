"""Issue 10, items 0, 3 and 4 at the edges: late reviews, subsets, suspect reads with violations, reaped runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from compliance_monitor.alerts import raising
from compliance_monitor.alerts.models import Alert, AlertType, State
from compliance_monitor.alerts.tests.conftest import T0, codes, outcome
from compliance_monitor.checks.base import CheckOutcome
from compliance_monitor.checks.models import Change, CheckResult
from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Status


def finished(job, hour: float, *outcomes: CheckOutcome, status=Status.SUCCEEDED, **fields) -> Execution:
    """A run that ended at T0 + hour, not yet reviewed."""
    now = T0 + timedelta(hours=hour)
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=now, **fields)
    lifecycle.claim(execution.pk, worker="w/1", now=now)
    error = "Err" if status != Status.SUCCEEDED else ""
    lifecycle.finish(execution.pk, Result(status, outcomes, error_type=error, error_message=error), now=now)
    return execution


def guarded(warehouse: str, rows: int, *violations: str) -> CheckOutcome:
    return replace(outcome(warehouse, *violations), rows_read=rows, volume_guard=True, rows_label="stock rows")


def test_item_0_a_late_review_of_an_older_clean_run_never_resolves_what_a_newer_run_found(job) -> None:
    older = finished(job, 0, outcome("ZBOZI"))  # its review message was lost …
    newer = finished(job, 1, outcome("ZBOZI", *codes(3)))
    raising.process_execution(newer.pk, now=T0 + timedelta(hours=1))
    raising.process_execution(older.pk, now=T0 + timedelta(hours=2))  # … and the sweep reviews it late

    assert Alert.objects.get(warehouse="ZBOZI").state == State.OPEN


def test_item_4_a_successful_run_over_a_subset_does_not_resolve_the_job_failure(job, run) -> None:
    run(0, replace(outcome("ZBOZI"), error="ZBOZI: announced 44 sent 30"), status=Status.FAILED, error="x")
    run(1, outcome("MATERIAL"))  # a full run would resolve it; this one names a warehouse:
    subset = finished(job, 2, outcome("MATERIAL"), warehouses=["MATERIAL"])
    raising.process_execution(subset.pk, now=T0 + timedelta(hours=2))

    assert Alert.objects.get(type=AlertType.JOB_FAILURE).state == State.RESOLVED  # by the full run at hour 1
    run(3, replace(outcome("ZBOZI"), error="ZBOZI: short"), status=Status.FAILED, error="x")
    subset = finished(job, 4, outcome("MATERIAL"), warehouses=["MATERIAL"])
    raising.process_execution(subset.pk, now=T0 + timedelta(hours=4))
    failure = Alert.objects.filter(type=AlertType.JOB_FAILURE).order_by("-pk").first()
    assert failure.state == State.OPEN, "MATERIAL alone proves nothing about ZBOZI"


def test_item_3_a_collapsed_read_with_violations_never_rewrites_or_understates_the_open_alert(run) -> None:
    run(0, guarded("ZBOZI", 4000, *codes(30)))
    alert = Alert.objects.get(type=AlertType.COMPLIANCE_VIOLATION)
    run(1, guarded("ZBOZI", 5, "P000"))  # 5 rows of the usual 4,000, one of them misplaced

    alert.refresh_from_db()
    assert (alert.violation_count, alert.occurrences, alert.state) == (30, 1, State.OPEN)


def test_item_4_a_reaped_run_over_a_past_date_raises_no_job_failure(job) -> None:
    reaped = finished(job, 0, status=Status.ABANDONED, parameters={"date": "2025-01-31"})
    raising.process_execution(reaped.pk, now=T0)

    assert not Alert.objects.filter(type=AlertType.JOB_FAILURE).exists()


def test_item_3_the_read_after_a_collapse_is_compared_with_the_last_trusted_read(run) -> None:
    run(0, guarded("ZBOZI", 4000, "P1", "P2"))
    run(1, guarded("ZBOZI", 3))
    after = run(2, guarded("ZBOZI", 4000, "P1", "P2"))

    result = CheckResult.objects.get(execution=after)
    assert set(result.violations.values_list("change", flat=True)) == {Change.PERSISTING} and result.fixed == []


def test_item_3_a_read_of_offenders_only_resolves_on_zero_rows(run) -> None:
    def offenders(*found: str) -> CheckOutcome:
        return replace(outcome("ALL", *found), rows_read=len(found), volume_guard=False)

    run(0, offenders("INV1", "INV2"))
    run(1, offenders())  # 0 rows: nothing overdue any more — for such a check that is "fixed", not suspect

    assert Alert.objects.get(type=AlertType.COMPLIANCE_VIOLATION).state == State.RESOLVED
