"""Persisting check outcomes of an execution, and how they differ from the scope's previous complete read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from compliance_monitor.checks import volume
from compliance_monitor.checks.base import CheckOutcome
from compliance_monitor.checks.models import Change, CheckResult, ResultStatus, Violation

if TYPE_CHECKING:
    from compliance_monitor.jobs.models import Execution

BULK_BATCH = 1000
COMPLETE = (ResultStatus.PASSED, ResultStatus.VIOLATED)


def store_outcomes(execution: Execution, outcomes: Iterable[CheckOutcome], *, current: bool = True) -> None:
    """Store results and violations. A complete read of a run that looks at "now" (``current``) is also
    compared with the scope's previous one (new / persisting / fixed) and judged by the volume guard;
    whether the run as a whole failed does not matter — each scope stands on its own read."""
    connection = execution.job.connection.name
    for outcome in (o if o.connection else replace(o, connection=connection) for o in outcomes):
        compare = current and not outcome.error
        previous = previous_result(outcome, execution) if compare else None
        seen_before = _codes(previous)
        result = CheckResult.objects.create(
            execution=execution,
            connection=outcome.connection,
            check_name=outcome.check,
            report_name=outcome.report_name,
            warehouse=outcome.warehouse,
            status=outcome.status.value,
            violation_count=len(outcome.violations),
            message=outcome.message,
            error=outcome.error,
            compared_with=previous,
            fixed=_fixed(previous, _still_there(outcome)),
            rows_read=None if outcome.error else outcome.rows_read,
            is_current=current,
            volume_note=volume.assess(outcome) if compare else "",
            check_version=outcome.version,
            check_title=outcome.title[:200],
            thresholds=list(outcome.thresholds) if outcome.thresholds else None,
            accepted=list(outcome.accepted),
        )
        Violation.objects.bulk_create(
            (_violation(result, v, _change(v.product_code, seen_before, compare)) for v in outcome.violations),
            batch_size=BULK_BATCH,
        )


def previous_result(outcome: CheckOutcome, execution: Execution) -> CheckResult | None:
    """The scope's latest complete, trusted read by a run that looked at "now" (not a suspect one)."""
    return (
        CheckResult.objects.filter(
            connection=outcome.connection,
            check_name=outcome.check,
            warehouse=outcome.warehouse,
            status__in=COMPLETE,
            is_current=True,
        )
        .filter(Q(volume_note="") | Q(volume_accepted_at__isnull=False))
        .exclude(execution=execution)
        .order_by("-execution__finished_at")
        .first()
    )


def _codes(result: CheckResult | None) -> set[str]:
    if result is None:
        return set()
    return set(result.violations.values_list("product_code", flat=True))


def _change(code: str, seen_before: set[str], compared: bool) -> str:
    if not compared:
        return ""
    return Change.PERSISTING if code in seen_before else Change.NEW


def _still_there(outcome: CheckOutcome) -> set[str]:
    """What the read found, counted or accepted: an accepted violation is not a fixed one."""
    return {v.product_code for v in outcome.violations} | {a["product_code"] for a in outcome.accepted}


def _fixed(previous: CheckResult | None, current: set[str]) -> list[dict[str, Any]]:
    if previous is None:
        return []
    gone = previous.violations.exclude(product_code__in=current)
    return [dict(row) for row in gone.values("product_code", "product_name", "goods_group", "quantity", "unit")]


def _violation(result: CheckResult, v: Any, change: str) -> Violation:
    return Violation(
        result=result,
        change=change,
        warehouse=v.warehouse,
        product_code=v.product_code,
        product_name=v.product_name,
        goods_group=v.goods_group,
        quantity=v.quantity,
        unit=v.unit,
        detail=v.detail,
    )
