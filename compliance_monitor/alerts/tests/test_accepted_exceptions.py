"""Issue 16: an accepted exception (connection + check + scope + identity, a reason, an expiry) sets one violation
aside — listed on the run as accepted, counted toward neither the alert nor its severity — until it expires or is
revoked; then it counts again. Time is an argument: runs at T0 + n hours.

Shown failing (each caught) with ``set_aside`` returning its outcomes unchanged (counted: 3, not 2), with
``standing`` ignoring ``expires_at`` (still accepted after expiry), and with ``_still_there`` leaving out the
accepted codes (an accepted product listed as fixed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from compliance_monitor.alerts.models import Alert, EventKind, Severity
from compliance_monitor.alerts.tests.conftest import T0, codes, outcome
from compliance_monitor.checks import exceptions
from compliance_monitor.checks.models import AcceptedException, CheckResult
from compliance_monitor.jobs.models import Execution, Job
from compliance_monitor.notifications.models import Delivery, Recipient
from compliance_monitor.notifications.tests.conftest import AT_ONCE

CHECK = "warehouse.product_types"


def accept(job: Job, identity: str, *, days: float = 30, at=T0) -> AcceptedException:
    return exceptions.accept(
        connection=job.connection.name,
        check=CHECK,
        warehouse="ZBOZI",
        identity=identity,
        reason="kept here for the season",
        expires_at=at + timedelta(days=days),
        by="marta",
        now=at,
    )


def result_of(execution: Execution) -> CheckResult:
    return execution.check_results.get(warehouse="ZBOZI")


def test_an_accepted_violation_is_listed_on_the_run_and_counts_toward_neither_the_alert_nor_its_severity(
    job: Job, run: Callable[..., Execution]
) -> None:
    accept(job, "P001")
    execution = run(1, outcome("ZBOZI", "P000", "P001", "P002"))

    result = result_of(execution)
    assert result.violation_count == 2
    assert list(result.violations.values_list("product_code", flat=True)) == ["P000", "P002"]
    assert [(a["product_code"], a["reason"], a["by"]) for a in result.accepted] == [
        ("P001", "kept here for the season", "marta")
    ]
    assert result.message == "P000 (1ks), P002 (1ks)"  # the legacy message leaves it out too
    alert = Alert.objects.get()
    assert (alert.violation_count, alert.severity) == (2, Severity.MEDIUM)
    assert "P001" not in alert.legacy_text
    assert execution.violation_reports == 1


def test_accepting_a_scopes_every_violation_resolves_its_alert_at_the_next_run(
    job: Job, run: Callable[..., Execution]
) -> None:
    run(0, outcome("ZBOZI", "P001"))
    assert Alert.objects.get().state == "open"
    accept(job, "P001", at=T0 + timedelta(minutes=30))

    execution = run(1, outcome("ZBOZI", "P001"))

    assert result_of(execution).status == "passed"
    assert Alert.objects.get().state == "resolved"
    assert result_of(execution).fixed == []  # accepted is not fixed: it is still there


def test_severity_counts_only_what_is_not_accepted(job: Job, run: Callable[..., Execution]) -> None:
    for code in codes(6):
        accept(job, code)
    run(1, outcome("ZBOZI", *codes(12)))  # 12 found, 6 accepted: 6 count — high, not critical
    assert (Alert.objects.get().violation_count, Alert.objects.get().severity) == (6, Severity.HIGH)


def test_an_expired_exception_counts_again_from_the_next_run(job: Job, run: Callable[..., Execution]) -> None:
    accept(job, "P001", days=1)
    assert result_of(run(1, outcome("ZBOZI", "P000", "P001"))).violation_count == 1

    after = result_of(run(25, outcome("ZBOZI", "P000", "P001")))  # a day and an hour later: expired

    assert (after.violation_count, after.accepted) == (2, [])
    assert after.violations.get(product_code="P001").change == "new"


def test_a_revoked_exception_counts_again_and_another_scope_or_check_is_never_affected(
    job: Job, run: Callable[..., Execution]
) -> None:
    found = accept(job, "P001")
    other_scope = run(1, outcome("MATERIAL", "P001"))
    assert result_of(run(2, outcome("ZBOZI", "P001"))).violation_count == 0
    assert other_scope.check_results.get().violation_count == 1

    assert exceptions.revoke(found.pk, by="lead", now=T0 + timedelta(hours=2, minutes=30))
    assert not exceptions.revoke(found.pk, by="lead", now=T0 + timedelta(hours=2, minutes=31))  # once

    assert result_of(run(3, outcome("ZBOZI", "P001"))).violation_count == 1


def test_the_newest_exception_on_a_violation_is_the_one_in_force(job: Job, run: Callable[..., Execution]) -> None:
    accept(job, "P001", days=1)
    accept(job, "P001", days=60, at=T0 + timedelta(hours=1))  # renewed
    assert result_of(run(30, outcome("ZBOZI", "P001"))).violation_count == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"expires_at": T0}, "expires_at"),
        ({"expires_at": T0 + timedelta(days=400)}, "expires_at"),
        ({"check": "no.such.check"}, "check"),
        ({"connection": "nowhere"}, "connection"),
        ({"identity": ""}, "identity"),
    ],
)
def test_a_bad_exception_is_refused_naming_the_field(job: Job, change: dict[str, object], field: str) -> None:
    given: dict[str, object] = {
        "connection": job.connection.name,
        "check": CHECK,
        "warehouse": "ZBOZI",
        "identity": "P001",
        "reason": "season",
        "expires_at": T0 + timedelta(days=30),
    }
    with pytest.raises(ValidationError) as refused:
        exceptions.accept(**{**given, **change}, by="marta", now=T0)  # type: ignore[arg-type]
    assert list(refused.value.message_dict) == [field]
    assert not AcceptedException.objects.exists()


def test_at_expiry_a_product_still_there_counts_again_and_the_alert_tells_its_recipients_once(
    job: Job, run: Callable[..., Execution]
) -> None:
    """Shown failing with ``returned.told`` returning ``changes`` unchanged (no notification: the count rose from
    1 to 2, still medium, which alone notifies nobody) and with ``returned_codes`` reading the current result's
    accepted list instead of the previous one's (nothing returns)."""
    Recipient.objects.create(name="store", email="marta@example.com", warehouses=["ZBOZI"], **AT_ONCE)
    accept(job, "P001", days=1)
    run(1, outcome("ZBOZI", "P000", "P001"))
    alert = Alert.objects.get()
    raised = Delivery.objects.filter(alert=alert).count()

    run(25, outcome("ZBOZI", "P000", "P001"))  # expired: P001 counts again
    run(26, outcome("ZBOZI", "P000", "P001"))  # and stays counted: nothing new to say

    told = Delivery.objects.filter(alert=alert, reason=EventKind.EXCEPTION_ENDED)
    assert (raised, told.count()) == (1, 1)
    assert "Counting again (their accepted exception expired or was revoked): P001" in told.get().body
    ended = alert.events.get(kind=EventKind.EXCEPTION_ENDED)
    assert ended.detail == {"products": ["P001"], "count": 1}
    alert.refresh_from_db()
    assert (alert.violation_count, alert.state) == (2, "open")
