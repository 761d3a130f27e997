from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import timezone

from compliance_monitor.jobs import runner, services
from compliance_monitor.jobs.models import Execution, Job, Status

# The heartbeat thread writes through its own connection: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def queue_run(checks: list[str], **parameters: object) -> Execution:
    job = services.create_job(now=timezone.now(), name="j", cron="0 * * * *", checks=checks)
    return Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now(), parameters=parameters)


def test_a_run_evaluates_every_check_and_stores_its_results() -> None:
    execution = queue_run(["diagnostics.pass", "diagnostics.violations"], count=2)

    assert runner.run(execution.pk, worker="here/1") == Status.SUCCEEDED

    execution.refresh_from_db()
    assert (execution.total_reports, execution.successful_reports, execution.violation_reports) == (2, 1, 1)
    violated = execution.check_results.get(check_name="diagnostics.violations")
    assert violated.message == "PROD001 (1ks), PROD002 (2ks)"
    assert [v.product_code for v in violated.violations.all()] == ["PROD001", "PROD002"]


def test_an_exception_in_a_check_fails_the_run_with_type_message_and_traceback() -> None:
    execution = queue_run(["diagnostics.fail"], message="ERP unreachable")

    assert runner.run(execution.pk, worker="here/1") == Status.FAILED

    execution.refresh_from_db()
    assert (execution.error_type, execution.error_message) == ("DiagnosticFailure", "ERP unreachable")
    assert "diagnostics.py" in execution.error_traceback


@override_settings(CM_HEARTBEAT_SECONDS=0.05)
def test_a_running_execution_keeps_beating() -> None:
    execution = queue_run(["diagnostics.sleep"], seconds=0.4)
    started = timezone.now()

    runner.run(execution.pk, worker="here/1")

    execution.refresh_from_db()
    assert execution.status == Status.SUCCEEDED
    assert execution.heartbeat_at > started + (execution.finished_at - started) / 2  # beat during the run


def test_results_that_cannot_be_stored_fail_the_run_at_once(monkeypatch) -> None:
    from compliance_monitor.jobs import lifecycle

    def broken_store(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(lifecycle, "store_outcomes", broken_store)
    execution = queue_run(["diagnostics.violations"])

    assert runner.run(execution.pk, worker="here/1") == Status.FAILED

    execution.refresh_from_db()
    assert (execution.status, execution.error_message) == (Status.FAILED, "disk full")
    assert Job.objects.get(pk=execution.job_id).lease_owner is None  # fresh from the database


def test_every_log_line_of_a_run_names_the_job_and_the_execution() -> None:
    import structlog
    from structlog.testing import capture_logs

    execution = queue_run(["diagnostics.violations", "diagnostics.fail"])
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as lines:  # as configured
        runner.run(execution.pk, worker="here/1")

    events = {line["event"] for line in lines}
    assert {"execution_started", "check_finished", "execution_check_failed", "execution_finished"} <= events
    assert all(line.get("execution_id") == str(execution.pk) and line.get("job") == "j" for line in lines), lines
