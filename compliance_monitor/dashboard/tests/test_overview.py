from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from compliance_monitor.dashboard import queries
from compliance_monitor.dashboard.tests.conftest import outcome
from compliance_monitor.jobs import lifecycle, services
from compliance_monitor.jobs.models import Execution, Status


def test_the_overview_lists_every_job_with_its_state_health_and_runs(as_role, job, finished_run) -> None:
    for minutes in (30, 20, 10):
        finished_run(ago=timedelta(minutes=minutes))
    failing = finished_run(status=Status.FAILED, error="ERP down")
    services.create_job(
        now=failing.queued_at, name="weekly", cron="0 6 * * 1", checks=["diagnostics.pass"], enabled=False
    )

    page = as_role("viewer").get("/").content.decode()
    assert 'data-job="compliance"' in page and 'data-job="weekly"' in page
    assert "○ disabled" in page and "● enabled" in page
    assert "✗ failed" in page  # the last run of compliance, with text besides its colour
    assert "75 %" in page  # 3 of 4 runs succeeded
    assert '<svg class="spark"' in page and "last 4 runs" in page
    assert "1 job needs attention" in page  # the disabled job


def test_the_overview_counts_open_alerts_by_severity_and_those_needing_acknowledgement(as_role, alerts) -> None:
    page = as_role("viewer").get("/").content.decode()
    assert "critical 1" in page and "medium 1" in page and "high 0" in page
    needs_ack = page.split('data-testid="needs-ack"')[1].split("</div>")[0]
    assert '<p class="big bad">1</p>' in needs_ack  # the critical one; medium alerts need no acknowledgement


def test_a_live_poll_gets_only_the_live_part_which_shows_a_running_run(as_role, job) -> None:
    run = Execution.objects.create(job=job, trigger="manual", queued_at=job.created_at)
    lifecycle.claim(run.pk, worker="w1", now=run.queued_at)
    response = as_role("viewer").get("/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="overview"' in body and 'hx-trigger="every 3s' in body
    assert "▶ running" in body


def test_a_job_without_runs_says_so(as_role, job) -> None:
    page = as_role("viewer").get("/").content.decode()
    assert "never ran" in page and "too few runs" in page


def test_violations_show_on_the_overview_through_alerts(as_role, finished_run) -> None:
    finished_run(outcome("MATERIAL", "M1", "M2"))
    assert "medium 1" in as_role("viewer").get("/").content.decode()


def test_a_jobs_line_has_its_newest_run_and_the_durations_of_finished_runs_oldest_first(job, finished_run) -> None:
    for minutes, status in ((40, Status.SUCCEEDED), (30, Status.FAILED), (20, Status.SUCCEEDED)):
        run = finished_run(ago=timedelta(minutes=minutes), status=status, error="x" if status == Status.FAILED else "")
        Execution.objects.filter(pk=run.pk).update(duration_seconds=minutes)
    live = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())
    other = services.create_job(now=timezone.now(), name="other", cron="0 * * * *", checks=["diagnostics.pass"])

    (line, quiet) = queries.job_lines([job, other])

    assert line.latest is not None and line.latest.id == live.pk and not line.latest.is_final
    assert line.durations == [40.0, 30.0, 20.0]
    assert quiet.latest is None and quiet.durations == []
