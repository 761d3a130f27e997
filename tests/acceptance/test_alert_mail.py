from __future__ import annotations

import time

import pytest

from compliance_monitor.alerts.models import Alert
from compliance_monitor.notifications.models import Delivery, Recipient
from tests.acceptance.helpers import make_job, trigger, wait_final
from tests.processes import wait_until

pytestmark = pytest.mark.workers


def test_a_critical_violation_found_by_a_worker_is_mailed_within_seconds(engine: object, smtp) -> None:
    Recipient.objects.create(name="Marta", email="marta@example.com", warehouses=["MATERIAL"])
    job = make_job(checks=["diagnostics.violations"], default_parameters={"count": 12})
    already = len(smtp.messages)

    done = wait_final(trigger(job, warehouses=["MATERIAL"]))
    wait_until(lambda: len(smtp.messages) > already, timeout=10, what="the mail")
    received = time.time()

    mail = smtp.messages[-1]
    assert mail["Subject"] == "CRITICAL: 12 misplaced products in warehouse MATERIAL (default)"
    assert str(done.pk) in mail.get_payload()
    assert received - done.finished_at.timestamp() < 5
    alert = Alert.objects.get(execution=done)
    # The SMTP server accepts the mail a moment before the sender records it as sent.
    wait_until(
        lambda: Delivery.objects.filter(alert=alert, channel="email", status="sent").exists(),
        timeout=5,
        what="the delivery to be recorded as sent",
    )
