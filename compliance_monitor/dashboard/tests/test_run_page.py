from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from compliance_monitor.dashboard.tests.conftest import outcome
from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.models import Execution, Status


def test_a_run_shows_its_timeline_trigger_results_and_evidence_links(as_role, finished_run) -> None:
    run = finished_run(outcome("MATERIAL", "M1", "M2"), outcome("ZBOZI"))
    page = as_role("viewer").get(f"/runs/{run.pk}/").content.decode()
    timeline = page.split('data-testid="timeline"')[1].split("</ol>")[0]
    assert "Queued" in timeline and "Started" in timeline and "took 2.0 s" in timeline
    assert 'data-testid="triggered-by">olga<' in page
    assert page.count('data-testid="result"') == 2 and "MATERIALReport" in page
    assert "<code>M1</code>" in page and "+ new" in page
    assert f"/api/v1/executions/{run.pk}/evidence?format=csv" in page and "format=json" in page


def test_the_violation_diff_marks_persisting_and_fixed_products(as_role, finished_run) -> None:
    finished_run(outcome("MATERIAL", "M1", "M2"), ago=timedelta(hours=1))
    second = finished_run(outcome("MATERIAL", "M2", "M3"))
    page = as_role("viewer").get(f"/runs/{second.pk}/").content.decode()
    assert "= persisting" in page and "+ new" in page
    fixed = page.split("✓ fixed")[1].split("</p>")[0]
    assert "<code>M1</code>" in fixed


def test_a_failed_run_shows_its_error_and_traceback(as_role, job) -> None:
    run = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())
    lifecycle.claim(run.pk, worker="w1", now=run.queued_at)
    result = lifecycle.Result(
        Status.FAILED, error_type="FlexiError", error_message="ERP unreachable", error_traceback="Traceback …\nline 3"
    )
    lifecycle.finish(run.pk, result, now=timezone.now())
    page = as_role("viewer").get(f"/runs/{run.pk}/").content.decode()
    assert 'data-testid="run-error"' in page and "FlexiError" in page and "ERP unreachable" in page
    assert "<summary>Traceback</summary>" in page and "line 3" in page


def test_a_live_run_polls_and_an_operator_may_cancel_it(as_role, job) -> None:
    run = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())
    viewer_page = as_role("viewer").get(f"/runs/{run.pk}/").content.decode()
    assert 'hx-trigger="every 1s' in viewer_page and 'data-testid="cancel"' not in viewer_page
    operator = as_role("operator")
    assert 'data-testid="cancel"' in operator.get(f"/runs/{run.pk}/").content.decode()
    assert operator.post(f"/runs/{run.pk}/cancel").status_code == 302
    run.refresh_from_db()
    assert run.status == Status.CANCELLED and "operator-user" in run.error_message


def test_a_finished_run_stops_polling(as_role, finished_run) -> None:
    run = finished_run()
    fragment = as_role("viewer").get(f"/runs/{run.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and 'data-status="succeeded"' in fragment and "hx-trigger" not in fragment


def test_cancelling_a_finished_run_says_it_already_ended(as_role, finished_run) -> None:
    run = finished_run()
    response = as_role("operator").post(f"/runs/{run.pk}/cancel", follow=True)
    assert "already ended" in response.content.decode()


def test_a_viewer_may_not_cancel(as_role, job) -> None:
    run = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())
    assert as_role("viewer").post(f"/runs/{run.pk}/cancel").status_code == 403
    run.refresh_from_db()
    assert run.status == Status.QUEUED


def test_the_evidence_links_download_with_the_browser_session(as_role, finished_run) -> None:
    run = finished_run(outcome("MATERIAL", "M1", "M2"))
    response = as_role("viewer").get(f"/api/v1/executions/{run.pk}/evidence?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("execution_id,") and len(lines) == 3
