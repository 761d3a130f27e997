"""The run page: bounded however much a run found (issue 10, item 8), live until its alerts are settled (issue 17)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance_monitor.alerts import raising
from compliance_monitor.checks.models import CheckResult, ResultStatus, Violation
from compliance_monitor.dashboard.queries import VIOLATIONS_SHOWN
from compliance_monitor.dashboard.tests.conftest import outcome
from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Status

HTMX = {"HX-Request": "true"}


def unreviewed_run(job, *outcomes) -> Execution:
    now = timezone.now()
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=now)
    lifecycle.claim(execution.pk, worker="w1", now=now)
    lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, outcomes), now=now)
    return execution


def test_item_8_a_run_with_50000_violations_shows_the_first_of_each_result_in_a_few_queries(as_role, job) -> None:
    now = timezone.now()
    run = Execution.objects.create(job=job, trigger="manual", queued_at=now, status=Status.SUCCEEDED, finished_at=now)
    for warehouse in ("MATERIAL", "ZBOZI"):
        result = CheckResult.objects.create(
            execution=run, check_name="c", warehouse=warehouse, status=ResultStatus.VIOLATED, violation_count=25_000
        )
        Violation.objects.bulk_create(
            (Violation(result=result, warehouse=warehouse, product_code=f"P{i:05d}") for i in range(25_000)),
            batch_size=5000,
        )
    lifecycle.mark_reviewed(run.pk, now=now)
    viewer = as_role("viewer")

    with CaptureQueriesContext(connection) as queries:
        page = viewer.get(f"/runs/{run.pk}/").content.decode()

    assert len(queries) <= 12, [q["sql"][:100] for q in queries]
    assert page.count("<code>P") == 2 * VIOLATIONS_SHOWN
    assert page.count(f"The first {VIOLATIONS_SHOWN} of 25000 violations") == 2
    assert f"/api/v1/executions/{run.pk}/evidence?format=csv" in page


def test_a_final_run_keeps_polling_until_its_alerts_are_reviewed_then_lists_them(as_role, job) -> None:
    run = unreviewed_run(job, outcome("MATERIAL", *[f"M{i}" for i in range(12)]), outcome("ZBOZI", "Z1"))
    viewer = as_role("viewer")

    waiting = viewer.get(f"/runs/{run.pk}/", headers=HTMX).content.decode()
    raising.process_execution(run.pk, now=timezone.now())
    settled = viewer.get(f"/runs/{run.pk}/", headers=HTMX).content.decode()

    assert 'data-status="succeeded"' in waiting and 'hx-trigger="every 1s' in waiting
    assert "Reviewing this run" in waiting and "misplaced" not in waiting
    assert "hx-trigger" not in settled and 'data-reviewed="true"' in settled
    alerts = settled.split('data-testid="run-alerts"')[1].split("</section>")[0]
    assert alerts.count('data-change="raised"') == 2
    assert "12 misplaced products in warehouse MATERIAL" in alerts and "in warehouse ZBOZI" in alerts


def test_the_run_page_lists_the_alerts_a_later_run_updated_and_resolved(as_role, finished_run) -> None:
    finished_run(outcome("MATERIAL", "M1"), outcome("ZBOZI", "Z1"), ago=timedelta(hours=1))
    later = finished_run(outcome("MATERIAL", "M1", "M2"), outcome("ZBOZI"))

    page = as_role("viewer").get(f"/runs/{later.pk}/").content.decode()

    alerts = page.split('data-testid="run-alerts"')[1].split("</section>")[0]
    assert 'data-change="updated"' in alerts and 'data-change="resolved"' in alerts


def test_a_reviewed_run_that_changed_no_alert_says_so_and_stops_polling(as_role, finished_run) -> None:
    run = finished_run(outcome("MATERIAL"))
    fragment = as_role("viewer").get(f"/runs/{run.pk}/", headers=HTMX).content.decode()
    assert "hx-trigger" not in fragment and "raised, updated and resolved no alert" in fragment


def test_skipped_and_cancelled_runs_need_no_review_and_an_old_unreviewed_run_stops_polling(as_role, job) -> None:
    from compliance_monitor.jobs import services

    cancelled = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())
    services.cancel(cancelled, by="olga", now=timezone.now())
    old = unreviewed_run(job)
    Execution.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=2))
    viewer = as_role("viewer")

    assert "hx-trigger" not in viewer.get(f"/runs/{cancelled.pk}/", headers=HTMX).content.decode()
    stale = viewer.get(f"/runs/{old.pk}/", headers=HTMX).content.decode()
    assert "hx-trigger" not in stale and "never reviewed" in stale
