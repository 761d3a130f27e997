"""Issue 17: every final run records when its alerts are settled (``alerts_reviewed_at``); nobody waits forever."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from compliance_monitor.alerts import raising
from compliance_monitor.checks.base import CheckOutcome, Violation
from compliance_monitor.jobs import lifecycle, services
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.management.commands import jobs as jobs_command
from compliance_monitor.jobs.models import Execution, Job, Status


def violations(warehouse: str, count: int) -> CheckOutcome:
    found = tuple(Violation(warehouse, f"P{i:03d}", quantity=1, unit="ks") for i in range(count))
    return CheckOutcome("warehouse.product_types", warehouse, found)


def finish(execution: Execution, now, *outcomes: CheckOutcome, status: Status = Status.SUCCEEDED) -> None:
    lifecycle.claim(execution.pk, worker="w/1", now=now)
    error = "Boom" if status != Status.SUCCEEDED else ""
    lifecycle.finish(execution.pk, Result(status, outcomes, error_type=error, error_message=error), now=now)


def reviewed_at(execution: Execution):
    execution.refresh_from_db()
    return execution.alerts_reviewed_at


def test_a_skipped_run_is_settled_the_moment_it_is_skipped(make_job, make_execution, now) -> None:
    job = make_job()
    running, late = make_execution(job), make_execution(job)
    lifecycle.claim(running.pk, worker="w/1", now=now)

    claim = lifecycle.claim(late.pk, worker="w/2", now=now + timedelta(seconds=1))

    assert claim.skipped_for == running.pk
    assert reviewed_at(late) == now + timedelta(seconds=1) and reviewed_at(running) is None


@pytest.mark.parametrize("was", [Status.QUEUED, Status.RUNNING])
def test_a_cancelled_run_is_settled_the_moment_it_is_cancelled(make_job, make_execution, now, was) -> None:
    execution = make_execution(make_job())
    if was == Status.RUNNING:
        lifecycle.claim(execution.pk, worker="w/1", now=now)

    services.cancel(execution, by="olga", now=now + timedelta(seconds=5))

    assert execution.status == Status.CANCELLED and reviewed_at(execution) == now + timedelta(seconds=5)


def test_mark_reviewed_records_the_first_review_only_and_never_a_live_run(make_job, make_execution, now) -> None:
    job = make_job()
    live, done = make_execution(job), make_execution(job)
    finish(done, now)

    assert not lifecycle.mark_reviewed(live.pk, now=now)
    assert lifecycle.mark_reviewed(done.pk, now=now + timedelta(seconds=1))
    assert not lifecycle.mark_reviewed(done.pk, now=now + timedelta(seconds=9))
    assert reviewed_at(done) == now + timedelta(seconds=1) and reviewed_at(live) is None


@pytest.mark.parametrize(
    ("status", "outcomes"),
    [
        (Status.SUCCEEDED, ()),  # raises nothing: settled all the same
        (Status.SUCCEEDED, (violations("MATERIAL", 3),)),
        (Status.FAILED, ()),
    ],
    ids=["clean", "violations", "failed"],
)
def test_the_review_settles_a_run_in_the_transaction_of_its_alerts(make_job, make_execution, now, status, outcomes):
    execution = make_execution(make_job())
    finish(execution, now, *outcomes, status=status)
    assert reviewed_at(execution) is None, "a finished run is not settled before its review"

    changes = raising.process_execution(execution.pk, now=now + timedelta(seconds=1))
    raising.process_execution(execution.pk, now=now + timedelta(seconds=30))  # a duplicate task: no change

    assert reviewed_at(execution) == now + timedelta(seconds=1)
    assert bool(changes) == (status == Status.FAILED or bool(outcomes))


# --- the backfill of existing installations ----------------------------------------------------------

BEFORE = [("jobs", "0002_beacon"), ("alerts", "0001_initial")]
AFTER = [("alerts", "0002_backfill_alerts_reviewed_at")]


@pytest.mark.django_db(transaction=True)
def test_the_backfill_settles_reviewed_skipped_and_cancelled_runs_of_an_existing_installation(now) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        job = old.get_model("jobs", "Job").objects.create(name="old", cron="0 * * * *", checks=["diagnostics.pass"])

        def run(status: str, finished: bool = True):
            return old.get_model("jobs", "Execution").objects.create(
                job=job, trigger="scheduled", status=status, queued_at=now, finished_at=now if finished else None
            )

        reviewed, failed, unreviewed = run("succeeded"), run("failed"), run("succeeded")
        skipped, cancelled, live = run("skipped"), run("cancelled"), run("running", finished=False)
        review = old.get_model("alerts", "ExecutionReview").objects
        review.create(execution=reviewed, reviewed_at=now + timedelta(seconds=1))
        review.create(execution=failed, reviewed_at=now + timedelta(seconds=2))

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

        new = executor.loader.project_state(AFTER).apps.get_model("jobs", "Execution").objects
        settled = dict(new.values_list("pk", "alerts_reviewed_at"))
        assert settled[reviewed.pk] == now + timedelta(seconds=1) and settled[failed.pk] == now + timedelta(seconds=2)
        assert settled[skipped.pk] == now and settled[cancelled.pk] == now
        assert settled[unreviewed.pk] is None, "a run still waiting for its review gets it from the review"
        assert settled[live.pk] is None
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


# --- jobs trigger --wait -------------------------------------------------------------------------------


@pytest.fixture
def worker(monkeypatch) -> Callable[..., list[Execution]]:
    """``trigger --wait`` without workers: its first pause runs the queued run (and reviews it, unless told not to).

    Its clock is fake too: each pause advances it, so waiting out a timeout takes no time.
    """
    ran: list[Execution] = []
    elapsed = [0.0]
    monkeypatch.setattr(jobs_command, "clock", lambda: elapsed[0])

    def install(*outcomes: CheckOutcome, status: Status = Status.SUCCEEDED, review: bool = True) -> list[Execution]:
        def pause(seconds: float) -> None:
            elapsed[0] += seconds
            execution = Execution.objects.filter(status=Status.QUEUED).first()
            if execution is None:
                return
            from django.utils import timezone

            finish(execution, timezone.now(), *outcomes, status=status)
            if review:
                raising.process_execution(execution.pk, now=timezone.now())
            ran.append(execution)

        monkeypatch.setattr(jobs_command, "pause", pause)
        return ran

    return install


def trigger_and_wait(*args: str) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("jobs", "trigger", "compliance", "--wait", "--timeout", "5", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue() + f"\n{exc}", exc.returncode
    return out.getvalue(), 0


@pytest.fixture
def compliance(make_job) -> Job:
    return make_job("compliance", checks=["warehouse.product_types"], max_retries=0)


def test_trigger_wait_prints_a_clean_run_and_exits_0(compliance, worker) -> None:
    worker(CheckOutcome("warehouse.product_types", "MATERIAL"))

    output, code = trigger_and_wait()

    assert code == 0
    assert "of compliance: succeeded" in output and "1 of 1 passed, 0 with violations" in output
    assert "alerts: none raised, updated or resolved" in output


def test_trigger_wait_prints_the_alerts_the_run_raised_and_exits_1_on_violations(compliance, worker) -> None:
    worker(violations("MATERIAL", 12), violations("ZBOZI", 1))

    output, code = trigger_and_wait()

    assert code == 1 and output.rstrip().endswith("the run found violations")
    lines = [line.split() for line in output.splitlines() if line.startswith("raised")]
    assert [(line[1], line[3]) for line in lines] == [("critical", "open"), ("medium", "open")]
    assert "12 misplaced products in warehouse MATERIAL" in output


def test_trigger_wait_exits_2_when_the_run_failed(compliance, worker) -> None:
    worker(status=Status.FAILED)

    output, code = trigger_and_wait()

    assert code == 2 and ": failed" in output and "error: Boom: Boom" in output and "raised" in output


def test_trigger_wait_waits_for_the_review_not_only_for_the_final_status(compliance, worker) -> None:
    ran = worker(violations("MATERIAL", 3), review=False)

    output, code = trigger_and_wait()

    assert code == 3 and "not final and reviewed after 5 s" in output
    (run,) = ran
    assert reviewed_at(run) is None and run.status == Status.SUCCEEDED, "final, its alerts not yet settled"


def test_history_shows_when_each_runs_alerts_were_reviewed(compliance, make_execution, now) -> None:
    done = make_execution(compliance)
    finish(done, now)
    lifecycle.mark_reviewed(done.pk, now=now)

    out = StringIO()
    call_command("jobs", "history", "compliance", "--json", stdout=out)

    assert '"alerts_reviewed_at": "2026-06-01T12:00:00+00:00"' in out.getvalue()


def test_item_3_trigger_wait_never_calls_a_collapsed_read_clean(compliance, worker) -> None:
    from dataclasses import replace

    def read(rows: int) -> CheckOutcome:
        clean = CheckOutcome("warehouse.product_types", "ZBOZI", rows_read=rows, volume_guard=True)
        return replace(clean, rows_label="stock rows")

    worker(read(4000))
    assert trigger_and_wait()[1] == 0
    worker(read(0))

    output, code = trigger_and_wait()

    assert code == 2 and "suspect: ZBOZI returned 0 stock rows, usually about 4,000 — not an all-clear" in output
