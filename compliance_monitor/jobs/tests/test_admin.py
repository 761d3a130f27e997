from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.erp.models import default_connection
from compliance_monitor.jobs import scheduler, services
from compliance_monitor.jobs.models import Job


@pytest.fixture
def admin(admin_client: Client) -> Client:
    return admin_client


JOB_FORM = {
    "name": "nightly",
    "description": "",
    "cron": "0 2 * * *",
    "timezone": "Europe/Prague",
    "checks": '["diagnostics.pass"]',
    "warehouses": "[]",
    "default_parameters": "{}",
    "queue": "runs",
    "enabled": "on",
    "timeout_seconds": "1200",
    "max_retries": "2",
    "retry_backoff_seconds": "60",
    "auto_disable_on_failures": "on",
    "max_consecutive_failures": "5",
    "slow_run_factor": "2",
    "slow_run_margin_seconds": "300",
    "slow_run_timeout_percent": "80",
    "short_run_percent": "10",
}


def test_a_job_created_in_the_admin_is_scheduled_in_beat(admin: Client) -> None:
    response = admin.post("/admin/jobs/job/add/", {**JOB_FORM, "connection": str(default_connection())})

    assert response.status_code == 302
    job = Job.objects.get(name="nightly")
    assert job.next_run_at and PeriodicTask.objects.get(name=scheduler.task_name(job)).enabled


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cron", "0 2 * *", "must have 5 fields"),
        ("checks", '["no.such"]', "unknown check"),
    ],
)
def test_bad_job_input_in_the_admin_is_shown_on_its_field(admin: Client, field: str, value: str, message: str) -> None:
    response = admin.post("/admin/jobs/job/add/", {**JOB_FORM, "connection": str(default_connection()), field: value})

    assert response.status_code == 200 and message in response.context["adminform"].form.errors[field][0]
    assert not Job.objects.exists()


def test_executions_and_warehouse_rules_render(admin: Client) -> None:
    job = services.create_job(now=timezone.now(), name="j", cron="0 * * * *", checks=["diagnostics.pass"])
    execution = services.trigger(job, by="a", now=timezone.now())
    assert admin.get(f"/admin/jobs/execution/{execution.pk}/change/").status_code == 200
    assert admin.get("/admin/checks/warehouserule/").status_code == 200


def test_a_warehouse_rule_needs_a_list_of_allowed_groups(admin: Client) -> None:
    rule = WarehouseRule.objects.get(warehouse_code="MATERIAL")
    form = {
        "warehouse_code": "MATERIAL",
        "warehouse_id": "5",
        "report_name": "",
        "classify_by": "goods_group",
        "enabled": "on",
    }

    rejected = admin.post(f"/admin/checks/warehouserule/{rule.pk}/change/", {**form, "allowed": '"3"'})
    accepted = admin.post(f"/admin/checks/warehouserule/{rule.pk}/change/", {**form, "allowed": '["3", 9]'})

    assert rejected.status_code == 200 and accepted.status_code == 302
    rule.refresh_from_db()
    assert rule.allowed == ["3", "9"]
