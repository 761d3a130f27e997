"""Persisting check outcomes of an execution."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from compliance_monitor.checks.base import CheckOutcome
from compliance_monitor.checks.models import CheckResult, Violation

if TYPE_CHECKING:
    from compliance_monitor.jobs.models import Execution

BULK_BATCH = 1000


def store_outcomes(execution: Execution, outcomes: Iterable[CheckOutcome]) -> None:
    for outcome in outcomes:
        result = CheckResult.objects.create(
            execution=execution,
            check_name=outcome.check,
            report_name=outcome.report_name,
            warehouse=outcome.warehouse,
            status=outcome.status.value,
            violation_count=len(outcome.violations),
            message=outcome.message,
            error=outcome.error,
        )
        Violation.objects.bulk_create(
            (
                Violation(
                    result=result,
                    warehouse=v.warehouse,
                    product_code=v.product_code,
                    product_name=v.product_name,
                    goods_group=v.goods_group,
                    quantity=v.quantity,
                    unit=v.unit,
                    detail=v.detail,
                )
                for v in outcome.violations
            ),
            batch_size=BULK_BATCH,
        )
