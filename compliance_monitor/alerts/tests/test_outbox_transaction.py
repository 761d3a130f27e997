"""An alert and the deliveries that announce it commit together or not at all (the outbox): a failure between
writing the deliveries and committing leaves neither — nor the review — so the review's retry raises the alert
once and notifies once. Shown failing by moving ``outbox.enqueue`` after the review's ``transaction.atomic()``
block in ``alerts/raising.py`` (the alert then stays, its deliveries and the review's retry are lost)."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from compliance_monitor.alerts import raising
from compliance_monitor.alerts.models import Alert, ExecutionReview
from compliance_monitor.alerts.tests.conftest import T0, codes, outcome
from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Job, Status
from compliance_monitor.notifications import outbox
from compliance_monitor.notifications.models import Delivery, Recipient
from compliance_monitor.notifications.tests.conftest import AT_ONCE


def finished_run(job: Job) -> Execution:
    execution = Execution.objects.create(job=job, trigger="scheduled", queued_at=T0, scheduled_for=T0)
    lifecycle.claim(execution.pk, worker="w/1", now=T0)
    lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, [outcome("MATERIAL", *codes(3))]), now=T0)
    return execution


def test_a_failure_after_the_deliveries_are_written_leaves_no_alert_and_the_retry_notifies_once(
    job: Job, monkeypatch: pytest.MonkeyPatch
) -> None:
    Recipient.objects.create(name="manager", email="m@example.com", warehouses=["MATERIAL"], **AT_ONCE)
    execution = finished_run(job)
    real_enqueue = outbox.enqueue

    def enqueue_then_lose_the_connection(*args: object, **kwargs: object) -> object:
        written = real_enqueue(*args, **kwargs)  # type: ignore[arg-type]
        assert Delivery.objects.count() == len(written) > 0
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(outbox, "enqueue", enqueue_then_lose_the_connection)
    with pytest.raises(OperationalError):
        raising.process_execution(execution.pk, now=T0)
    assert (Alert.objects.count(), Delivery.objects.count(), ExecutionReview.objects.count()) == (0, 0, 0)

    monkeypatch.setattr(outbox, "enqueue", real_enqueue)
    changes = raising.process_execution(execution.pk, now=T0)
    assert [change.kind for change in changes] == ["raised"]
    alert = Alert.objects.get()
    assert list(Delivery.objects.values_list("alert", "reason")) == [(alert.pk, "raised")]
