"""The job page's conflict warnings are the stored conflicts, current after an edit on the page."""

from __future__ import annotations

from django.utils import timezone

from compliance_monitor.dashboard.tests.test_job_page import JOB, edit_data
from compliance_monitor.jobs import conflicts, services


def test_an_edited_cron_is_warned_about_at_once_without_computing_on_the_read(
    as_role, job, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    services.create_job(now=timezone.now(), name="twin", cron="30 * * * *", checks=["diagnostics.pass"])
    admin = as_role("admin")
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(f"{JOB}edit", edit_data(job, cron="30 * * * *")).status_code == 302
    expanded: list[str] = []
    windows = conflicts._windows
    monkeypatch.setattr(conflicts, "_windows", lambda job, *rest: expanded.append(job.name) or windows(job, *rest))

    warnings = admin.get(f"{JOB}conflicts", headers={"HX-Request": "true"}).content.decode()

    assert 'data-testid="conflict"' in warnings and "compliance and twin both check all warehouses" in warnings
    assert expanded == [], "the warnings were computed on a read"
