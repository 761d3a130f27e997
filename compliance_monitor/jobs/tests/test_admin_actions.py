"""Item 10 of issue 10: enabling and disabling a job in the admin goes through the API's services."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.test import Client
from django_celery_beat.models import PeriodicTask

from compliance_monitor.jobs import scheduler
from compliance_monitor.jobs.models import Job
from compliance_monitor.jobs.tests.test_admin import JOB_FORM

CHANGELIST = "/admin/jobs/job/"


def act(client: Client, action: str, *jobs: Job, reason: str = "") -> None:
    data = {"action": action, "_selected_action": [job.pk for job in jobs], "reason": reason}
    assert client.post(CHANGELIST, data).status_code == 302


def test_item_10_disabling_in_the_admin_records_who_and_why_and_stops_beat_and_needs_change_permission(
    admin_client: Client, client: Client, make_job, django_user_model
) -> None:
    job, other = make_job("nightly"), make_job("hourly")
    viewer = django_user_model.objects.create_user("vera", "vera@example.com", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_job"))
    client.force_login(viewer)
    client.post(CHANGELIST, {"action": "disable_jobs", "_selected_action": [job.pk], "reason": "because"})
    job.refresh_from_db()
    assert job.enabled  # viewing is not changing

    act(admin_client, "disable_jobs", job, other, reason="stock-taking")

    for disabled in (job, other):
        disabled.refresh_from_db()
        assert (disabled.enabled, disabled.disabled_reason, disabled.disabled_by) == (False, "stock-taking", "admin")
        assert disabled.next_run_at is None and disabled.disabled_at is not None
        assert not PeriodicTask.objects.get(name=scheduler.task_name(disabled)).enabled


def test_item_10_disabling_in_the_admin_needs_a_reason(admin_client: Client, make_job) -> None:
    job = make_job("nightly")

    response = admin_client.post(CHANGELIST, {"action": "disable_jobs", "_selected_action": [job.pk]}, follow=True)

    job.refresh_from_db()
    assert job.enabled and "Give a reason" in response.content.decode()


def test_item_10_enabling_in_the_admin_resets_the_failure_streak(admin_client: Client, make_job) -> None:
    job = make_job("nightly", enabled=False)
    Job.objects.filter(pk=job.pk).update(consecutive_failures=5, disabled_reason="auto-disabled", disabled_by="system")

    act(admin_client, "enable_jobs", job)

    job.refresh_from_db()
    assert (job.enabled, job.consecutive_failures, job.disabled_reason, job.disabled_by) == (True, 0, "", "")
    assert job.next_run_at is not None and PeriodicTask.objects.get(name=scheduler.task_name(job)).enabled


def test_item_10_the_change_form_cannot_flip_enabled_behind_the_services_back(admin_client: Client, make_job) -> None:
    job = make_job("nightly", cron="0 2 * * *")
    form = {key: value for key, value in JOB_FORM.items() if key != "enabled"}  # an unticked box

    response = admin_client.post(
        f"/admin/jobs/job/{job.pk}/change/", {**form, "connection": str(job.connection_id), "cron": "0 3 * * *"}
    )

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.enabled and job.cron == "0 3 * * *"


def test_item_10_deleting_jobs_in_bulk_removes_their_schedules_from_beat(admin_client: Client, make_job) -> None:
    jobs = [make_job("nightly"), make_job("hourly")]
    names = [scheduler.task_name(job) for job in jobs]

    response = admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [j.pk for j in jobs], "post": "yes"}
    )

    assert response.status_code == 302 and not Job.objects.exists()
    assert not PeriodicTask.objects.filter(name__in=names).exists()
