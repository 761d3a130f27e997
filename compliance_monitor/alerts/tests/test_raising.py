from __future__ import annotations

import pytest

from compliance_monitor.alerts import raising
from compliance_monitor.alerts.models import Alert, AlertType, EventKind, Severity, State, severity_for
from compliance_monitor.alerts.tests.conftest import T0, codes, outcome
from compliance_monitor.checks.models import CheckResult
from compliance_monitor.jobs.models import Status
from compliance_monitor.notifications.tests.conftest import AT_ONCE


@pytest.mark.parametrize(
    ("count", "severity"),
    [
        (0, None),
        (1, Severity.MEDIUM),
        (5, Severity.MEDIUM),
        (6, Severity.HIGH),
        (10, Severity.HIGH),
        (11, Severity.CRITICAL),
    ],
)
def test_severity_comes_from_the_violation_count(count: int, severity: Severity | None) -> None:
    assert severity_for(count) == severity


def test_a_problem_is_raised_once_updated_while_it_persists_and_resolved_when_fixed(run) -> None:
    first = run(0, outcome("MATERIAL", *codes(3)))
    (alert,) = Alert.objects.all()
    assert (alert.type, alert.severity, alert.state, alert.execution_id) == (
        AlertType.COMPLIANCE_VIOLATION,
        Severity.MEDIUM,
        State.OPEN,
        first.pk,
    )
    assert alert.legacy_text == "P000 (1ks), P001 (1ks), P002 (1ks)" and alert.warehouse == "MATERIAL"

    second = run(1, outcome("MATERIAL", *codes(4)))
    alert.refresh_from_db()
    assert Alert.objects.count() == 1, "a persisting problem must not raise a second alert"
    assert (alert.occurrences, alert.violation_count, alert.last_execution_id, alert.last_seen_at) == (
        2,
        4,
        second.pk,
        second.finished_at,
    )

    third = run(2, outcome("MATERIAL"))
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_by, alert.resolution_notes) == (
        State.RESOLVED,
        "system",
        f"resolved by run {third.pk}",
    )
    assert [e.kind for e in alert.events.all()] == [EventKind.RAISED, EventKind.UPDATED, EventKind.AUTO_RESOLVED]


def test_a_rise_in_severity_notifies_again_and_a_fall_does_not(run) -> None:
    """Shown failing with ``notify=rose`` replaced by ``notify=False`` in ``raising._update``."""
    from compliance_monitor.notifications.models import Delivery, Recipient

    Recipient.objects.create(name="manager", email="m@example.com", warehouses=["MATERIAL"], **AT_ONCE)
    run(0, outcome("MATERIAL", *codes(2)))
    rise = raising.process_execution(run(1, outcome("MATERIAL", *codes(12))).pk, now=T0)  # reviewed already
    assert rise == []
    alert = Alert.objects.get()
    assert alert.severity == Severity.CRITICAL
    change = alert.events.get(kind=EventKind.SEVERITY_CHANGED)
    assert change.detail == {"from": Severity.MEDIUM, "to": Severity.CRITICAL}

    assert list(Delivery.objects.order_by("pk").values_list("reason", flat=True)) == ["raised", "severity_changed"]

    run(2, outcome("MATERIAL", *codes(7)))
    alert.refresh_from_db()
    assert alert.severity == Severity.HIGH and alert.events.filter(kind=EventKind.SEVERITY_CHANGED).count() == 2
    assert Delivery.objects.count() == 2  # the fall: nobody told


def test_notification_decisions_follow_the_rules(job) -> None:
    from compliance_monitor.alerts.tests.conftest import T0 as now
    from compliance_monitor.jobs import lifecycle
    from compliance_monitor.jobs.lifecycle import Result
    from compliance_monitor.jobs.models import Execution

    def changes(*violations: str) -> list:
        execution = Execution.objects.create(job=job, trigger="manual", queued_at=now)
        lifecycle.claim(execution.pk, worker="w", now=now)
        lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, (outcome("ZBOZI", *violations),)), now=now)
        return [(c.kind, c.notify) for c in raising.process_execution(execution.pk, now=now)]

    assert changes(*codes(2)) == [(EventKind.RAISED, True)]
    assert changes(*codes(3)) == [(EventKind.UPDATED, False)]  # persisting: quiet
    assert changes(*codes(8)) == [(EventKind.SEVERITY_CHANGED, True)]  # rose: notify again
    assert changes(*codes(3)) == [(EventKind.SEVERITY_CHANGED, False)]  # fell: quiet


def test_a_failed_or_timed_out_run_never_resolves_anything(run) -> None:
    run(0, outcome("MATERIAL", *codes(3)))
    run(1, status=Status.FAILED, error="ERP unreachable")
    run(2, status=Status.TIMED_OUT, error="killed")
    assert Alert.objects.get(type=AlertType.COMPLIANCE_VIOLATION).state == State.OPEN


def test_a_problem_that_returns_after_resolution_opens_a_new_alert_linked_to_the_old(run) -> None:
    run(0, outcome("MATERIAL", "P1"))
    run(1, outcome("MATERIAL"))
    run(2, outcome("MATERIAL", "P1"))
    old, new = Alert.objects.order_by("raised_at")
    assert (old.state, new.state, new.previous_id) == (State.RESOLVED, State.OPEN, old.pk)


def test_each_warehouse_is_its_own_problem(run) -> None:
    run(0, outcome("MATERIAL", "P1"), outcome("ZBOZI", "P2"), outcome("POLOTOVARY"))
    assert sorted(Alert.objects.values_list("warehouse", flat=True)) == ["MATERIAL", "ZBOZI"]


def test_a_failing_job_raises_one_high_alert_that_its_next_success_resolves(run) -> None:
    run(0, status=Status.FAILED, error="ERP unreachable")
    run(1, status=Status.TIMED_OUT, error="killed at the hard time limit")
    alert = Alert.objects.get(type=AlertType.JOB_FAILURE)
    assert (alert.severity, alert.occurrences, alert.message) == (
        Severity.HIGH,
        2,
        "Err: killed at the hard time limit",
    )

    recovered = run(2)
    alert.refresh_from_db()
    assert alert.state == State.RESOLVED and alert.resolution_notes == f"resolved by run {recovered.pk}"


def test_auto_disable_raises_its_own_alert_saying_how_to_re_enable(job, run) -> None:
    job.max_consecutive_failures = 2
    job.save()
    run(0, status=Status.FAILED, error="boom")
    run(1, status=Status.FAILED, error="boom")

    alert = Alert.objects.get(fingerprint="job_disabled:compliance")
    assert alert.severity == Severity.CRITICAL and "manage.py jobs enable compliance" in alert.message


def test_an_execution_is_reviewed_only_once(run) -> None:
    execution = run(0, outcome("MATERIAL", "P1"))
    assert raising.process_execution(execution.pk, now=T0) == []
    assert Alert.objects.get().occurrences == 1


def test_each_run_records_new_persisting_and_fixed_violations(run) -> None:
    run(0, outcome("MATERIAL", "A", "B"))
    run(1, status=Status.FAILED, error="boom")  # not compared: failed runs do not count
    second = run(2, outcome("MATERIAL", "B", "C"))

    result = CheckResult.objects.get(execution=second)
    assert dict(result.violations.values_list("product_code", "change")) == {"B": "persisting", "C": "new"}
    assert [f["product_code"] for f in result.fixed] == ["A"]
    assert result.compared_with.execution.finished_at == T0


def test_a_single_offender_reads_naturally(run) -> None:
    run(0, outcome("ZBOZI", "P1"))
    assert Alert.objects.get().title == "1 misplaced product in warehouse ZBOZI (Built-in demo company)"
