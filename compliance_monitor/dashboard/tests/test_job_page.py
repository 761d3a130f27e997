from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Job, Status, Trigger

JOB = "/jobs/compliance/"


def edit_data(job: Job, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "description": job.description,
        "cron": job.cron,
        "timezone": job.timezone,
        "checks": job.checks,
        "warehouses": ", ".join(job.warehouses),
        "timeout_seconds": job.timeout_seconds,
        "max_retries": job.max_retries,
        "retry_backoff_seconds": job.retry_backoff_seconds,
        "auto_disable_on_failures": "on" if job.auto_disable_on_failures else "",
        "max_consecutive_failures": job.max_consecutive_failures,
        "slow_run_factor": job.slow_run_factor,
        "slow_run_margin_seconds": job.slow_run_margin_seconds,
        "slow_run_timeout_percent": job.slow_run_timeout_percent,
        "short_run_percent": job.short_run_percent,
    }
    return {**data, **changes}


def test_the_job_page_shows_configuration_next_runs_statistics_and_history(as_role, job, finished_run) -> None:
    finished_run(ago=timedelta(days=1))
    finished_run(status=Status.FAILED, error="ERP down")
    page = as_role("viewer").get(JOB).content.decode()
    assert "<code>0 * * * *</code>" in page
    start = page.index('data-testid="next-runs"')
    next_runs = page[start : page.index("</ol>", start)]  # that list only (the page has other lists after it)
    assert next_runs.count("<li>") == 5  # shown failing with next_runs(count=4) in the job view
    assert 'data-testid="daily-chart"' in page and "50 %" in page  # one of two runs succeeded
    assert page.count("details</a>") == 2


def test_history_filters_by_status_and_trigger_and_pages(as_role, job, finished_run) -> None:
    for minutes in range(30):
        finished_run(ago=timedelta(minutes=minutes + 1))
    finished_run(status=Status.FAILED, error="boom")
    client = as_role("viewer")
    failed = client.get(JOB, {"status": "failed"}).content.decode()
    assert failed.count("details</a>") == 1
    first = client.get(JOB).content.decode()
    assert first.count("details</a>") == 25 and "page 1 of 2 (31 in all)" in first and "older ›" in first
    assert client.get(JOB, {"page": 2}).content.decode().count("details</a>") == 6
    assert client.get(JOB, {"trigger": "scheduled"}).content.decode().count("details</a>") == 0
    assert client.get(JOB, {"page": "999", "status": "nonsense", "days": "abc"}).status_code == 200


def test_the_statistics_period_can_be_chosen(as_role, job, finished_run) -> None:
    finished_run(ago=timedelta(days=20))
    client = as_role("viewer")
    assert "last 7 days" in client.get(JOB, {"days": 7}).content.decode()
    assert "<strong>0</strong> runs" in client.get(JOB, {"days": 7}).content.decode()
    assert "<strong>1</strong> runs" in client.get(JOB, {"days": 30}).content.decode()


def test_the_cron_preview_shows_the_next_five_runs_in_the_jobs_time_zone(as_role, job) -> None:
    response = as_role("viewer").get("/cron-preview", {"cron": "30 6 * * 1-5", "timezone": "Europe/Prague"})
    body = response.content.decode()
    assert response.status_code == 200 and body.count("<li>") == 5
    assert "06:30:00 CET" in body or "06:30:00 CEST" in body


def test_the_cron_preview_explains_a_bad_expression(as_role, job) -> None:
    body = as_role("viewer").get("/cron-preview", {"cron": "61 * * * *", "timezone": "UTC"}).content.decode()
    assert 'data-testid="cron-error"' in body and "minute" in body
    body = as_role("viewer").get("/cron-preview", {"cron": "0 * * * *", "timezone": "Mars/Base"}).content.decode()
    assert "unknown time zone" in body


def test_saving_a_bad_cron_shows_the_error_inline_and_changes_nothing(as_role, job) -> None:
    response = as_role("admin").post(f"{JOB}edit", edit_data(job, cron="0 25 * * *"))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'class="errorlist' in page and "hour" in page
    assert 'value="0 25 * * *"' in page  # what was typed stays in the box
    job.refresh_from_db()
    assert job.cron == "0 * * * *"


def test_saving_a_good_schedule_updates_the_job_and_beat(as_role, job) -> None:
    response = as_role("admin").post(
        f"{JOB}edit", edit_data(job, cron="*/15 8-17 * * 1-5", warehouses="MATERIAL, ZBOZI")
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.cron == "*/15 8-17 * * 1-5" and job.warehouses == ["MATERIAL", "ZBOZI"]
    task = PeriodicTask.objects.get(name__contains=job.name)
    assert task.crontab.minute == "*/15" and task.crontab.hour == "8-17"


def test_disabling_needs_a_reason_and_enabling_starts_the_failure_streak_over(as_role, job) -> None:
    admin = as_role("admin")
    assert admin.post(f"{JOB}disable", {"reason": ""}).status_code == 422
    assert admin.post(f"{JOB}disable", {"reason": "ERP migration"}).status_code == 302
    job.refresh_from_db()
    assert not job.enabled and job.disabled_reason == "ERP migration" and job.disabled_by == "admin-user"
    assert "ERP migration" in admin.get(JOB).content.decode()
    Job.objects.filter(pk=job.pk).update(consecutive_failures=3)
    assert admin.post(f"{JOB}enable").status_code == 302
    job.refresh_from_db()
    assert job.enabled and job.consecutive_failures == 0


def test_run_now_queues_a_run_with_the_callers_name_and_opens_it(as_role, job) -> None:
    response = as_role("operator").post(f"{JOB}run", {"reason": "after a stock fix"})
    run = job.executions.get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    assert (run.trigger, run.triggered_by, run.reason) == (Trigger.MANUAL, "operator-user", "after a stock fix")
    assert run.status == Status.QUEUED


def test_item_4_overriding_parameters_on_run_now_needs_the_admin_role(as_role, job) -> None:
    operator = as_role("operator")
    assert 'name="parameters"' not in operator.get(JOB).content.decode()
    refused = operator.post(f"{JOB}run", {"reason": "audit", "parameters": '{"date": "2026-11-27"}'})
    assert refused.status_code == 403 and "admin" in refused.content.decode() and not job.executions.exists()

    admin = as_role("admin")
    assert 'name="parameters"' in admin.get(JOB).content.decode()
    assert admin.post(f"{JOB}run", {"parameters": '{"date": "2026-11-27"}'}).status_code == 302
    assert job.executions.get().parameters == {"date": "2026-11-27"}


def test_run_now_refuses_bad_parameters_with_the_field_named(as_role, job) -> None:
    response = as_role("admin").post(f"{JOB}run", {"parameters": "[1, 2"})
    assert response.status_code == 422 and "not valid JSON" in response.content.decode()
    response = as_role("admin").post(f"{JOB}run", {"parameters": "[1, 2]"})
    assert response.status_code == 422 and "must be a JSON object" in response.content.decode()
    assert not job.executions.exists()


def test_a_disabled_job_runs_only_when_an_admin_forces_it(as_role, job) -> None:
    services.disable(job, reason="maintenance", by="x", now=timezone.now())
    response = as_role("operator").post(f"{JOB}run", {})
    assert response.status_code == 422 and "disabled" in response.content.decode()
    assert as_role("operator").post(f"{JOB}run", {"force": "on"}).status_code == 403
    assert as_role("admin").post(f"{JOB}run", {"force": "on"}).status_code == 302
    assert job.executions.get().trigger == Trigger.EMERGENCY


def test_schedule_conflicts_are_warned_about(as_role, job) -> None:
    services.create_job(now=timezone.now(), name="twin", cron="0 * * * *", checks=["diagnostics.pass"])
    client = as_role("viewer")
    assert 'hx-get="/jobs/compliance/conflicts"' in client.get(JOB).content.decode()  # loaded after the page
    warnings = client.get(f"{JOB}conflicts", headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="conflict"' in warnings and "twin" in warnings


def test_an_unknown_job_is_a_404(as_role, db) -> None:
    assert as_role("viewer").get("/jobs/nope/").status_code == 404
