from __future__ import annotations

import pytest
from django.utils import timezone

from compliance_monitor.alerts.models import Alert, Severity, State
from compliance_monitor.jobs import services
from tests.acceptance.helpers import make_job, trigger, wait_final
from tests.processes import wait_until

pytestmark = pytest.mark.workers


def test_a_run_that_finds_violations_raises_an_alert_that_a_clean_run_resolves(engine: object) -> None:
    job = make_job(checks=["diagnostics.violations"], default_parameters={"count": 12})

    dirty = wait_final(trigger(job, warehouses=["MATERIAL"]))
    alert = wait_until(lambda: Alert.objects.filter(execution=dirty).first(), timeout=15, what="the alert")
    assert (alert.severity, alert.warehouse, alert.violation_count) == (Severity.CRITICAL, "MATERIAL", 12)

    # The job's own parameters change (an override on one run would look at another world and change nothing).
    services.update_job(job, {"default_parameters": {"count": 0}}, now=timezone.now())
    clean = wait_final(trigger(job, warehouses=["MATERIAL"]))
    resolved = wait_until(
        lambda: Alert.objects.filter(pk=alert.pk, state=State.RESOLVED).first(), timeout=15, what="auto-resolution"
    )
    assert resolved.resolution_notes == f"resolved by run {clean.pk}"
