"""Issue 10, item 2: no non-finite value ever reaches the database, whichever check produced it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from django.utils import timezone

from compliance_monitor.checks import registry
from compliance_monitor.checks.base import CheckContext, CheckOutcome, Violation
from compliance_monitor.checks.models import Violation as StoredViolation
from compliance_monitor.jobs import runner, services
from compliance_monitor.jobs.models import Execution, Status

pytestmark = pytest.mark.django_db(transaction=True)  # the heartbeat thread has its own connection


@dataclass(frozen=True)
class NotANumber:
    name: str = "tests.not_a_number"

    def run(self, context: CheckContext) -> list[CheckOutcome]:
        return [
            CheckOutcome(self.name, "A", (Violation("A", "P1", quantity=math.nan),)),
            CheckOutcome(self.name, "B", (Violation("B", "P2", quantity=2.0),)),
        ]


def test_item_2_a_violation_with_a_non_finite_quantity_makes_its_scope_incomplete(monkeypatch) -> None:
    monkeypatch.setitem(registry._checks, NotANumber.name, NotANumber())
    job = services.create_job(now=timezone.now(), name="nan", cron="0 * * * *", checks=[NotANumber.name])
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())

    assert runner.run(execution.pk, worker="here/1") == Status.FAILED

    results = {r.warehouse: r for r in execution.check_results.all()}
    assert results["A"].error == "A: product P1: quantity nan is not a finite number"
    assert results["B"].violation_count == 1
    assert list(StoredViolation.objects.values_list("quantity", flat=True)) == [2.0]
