from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from compliance_monitor.alerts import raising
from compliance_monitor.checks.base import CheckOutcome, Violation
from compliance_monitor.jobs import lifecycle, services
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Job, Status

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def outcome(warehouse: str, *codes: str) -> CheckOutcome:
    return CheckOutcome(
        "warehouse.product_types",
        warehouse,
        tuple(Violation(warehouse, code, quantity=1, unit="ks") for code in codes),
        report_name="MaterialWarehouseInvalidProductsReport",
    )


def codes(n: int, prefix: str = "P") -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


@pytest.fixture
def job(db: None) -> Job:
    return services.create_job(now=T0, name="compliance", cron="0 * * * *", checks=["diagnostics.pass"], max_retries=0)


@pytest.fixture
def run(job: Job) -> Callable[..., Execution]:
    """Finish a run of ``job`` at T0 + hour hours with these outcomes (or this failure), then review it."""

    def finish(hour: int, *outcomes: CheckOutcome, status: Status = Status.SUCCEEDED, error: str = "") -> Execution:
        now = T0 + timedelta(hours=hour)
        execution = Execution.objects.create(job=job, trigger="scheduled", queued_at=now, scheduled_for=now)
        lifecycle.claim(execution.pk, worker="w/1", now=now)
        lifecycle.finish(
            execution.pk, Result(status, outcomes, error_type="Err" if error else "", error_message=error), now=now
        )
        raising.process_execution(execution.pk, now=now)
        execution.refresh_from_db()
        return execution

    return finish
