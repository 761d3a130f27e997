"""The review sweep (beat's ``review_missed``, every minute) reviews a finished run whose review message was lost:
its alert is raised and notified once, after the review task's own minute of grace, never twice, and only for runs
of the last day. Shown failing (each caught) by dropping the grace from the sweep's query (the run is swept at
once) and by ``REVIEW_WINDOW = timedelta(days=3)`` (the old run is swept). "Never twice" holds even without the
query's ``alert_review__isnull=True`` (tried: these still pass): the review's own claim row refuses a second
review (``test_review_integrity.py``); the filter only spares the work."""

from __future__ import annotations

from datetime import timedelta

from compliance_monitor.alerts import raising
from compliance_monitor.alerts.models import Alert
from compliance_monitor.alerts.tasks import review_unreviewed
from compliance_monitor.alerts.tests.conftest import T0, codes, outcome
from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Job, Status
from compliance_monitor.notifications.models import Delivery, Recipient
from compliance_monitor.notifications.tests.conftest import AT_ONCE


def finished_unreviewed(job: Job, at: object, warehouse: str = "MATERIAL") -> Execution:
    """A run finished at ``at`` whose review message never arrived (nothing reviewed it)."""
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=at, scheduled_for=at)
    lifecycle.claim(execution.pk, worker="w/1", now=at)
    lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, [outcome(warehouse, *codes(3))]), now=at)
    return execution


def test_a_run_whose_review_message_was_lost_is_reviewed_by_the_sweep_after_the_grace_once(job: Job) -> None:
    Recipient.objects.create(name="manager", email="m@example.com", warehouses=["MATERIAL"], **AT_ONCE)
    finished_unreviewed(job, T0)

    assert review_unreviewed(now=T0 + timedelta(seconds=59)) == 0  # the review task still has its chance
    assert not Alert.objects.exists()

    assert review_unreviewed(now=T0 + timedelta(seconds=61)) == 1
    alert = Alert.objects.get()
    assert (alert.warehouse, alert.resolved_at, alert.violation_count) == ("MATERIAL", None, 3)
    assert list(Delivery.objects.values_list("reason", flat=True)) == ["raised"]

    assert review_unreviewed(now=T0 + timedelta(minutes=2)) == 0  # reviewed: never again
    assert (Alert.objects.count(), Delivery.objects.count()) == (1, 1)


def test_the_sweep_leaves_runs_reviewed_by_their_task_and_runs_older_than_a_day(job: Job) -> None:
    reviewed = finished_unreviewed(job, T0)
    raising.process_execution(reviewed.pk, now=T0)
    finished_unreviewed(job, T0 - timedelta(days=2), warehouse="ZBOZI")

    assert review_unreviewed(now=T0 + timedelta(minutes=5)) == 0
    assert list(Alert.objects.values_list("warehouse", flat=True)) == ["MATERIAL"]
