"""Issue 11: a job names its connection in the API; a connection still used by jobs cannot be removed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs.models import Job

NEW = {"name": "acme-hourly", "cron": "0 * * * *", "checks": ["diagnostics.pass"]}


@pytest.fixture
def acme(db: None) -> Connection:
    return Connection.objects.create(name="acme", title="Acme a.s.", company="acme", base_url="http://127.0.0.1:1")


def test_a_job_created_on_a_named_connection_reads_it_and_says_so(as_role, acme) -> None:
    created = as_role("admin").call("POST", "/jobs", {**NEW, "connection": "acme"})

    assert created.status_code == 201 and created.json()["connection"] == "acme"
    assert Job.objects.get(name="acme-hourly").connection == acme
    listed = {job["name"]: job["connection"] for job in as_role("viewer").call("GET", "/jobs").json()}
    assert listed["acme-hourly"] == "acme"


def test_a_job_created_without_a_connection_gets_the_installations_default(as_role, acme) -> None:
    created = as_role("admin").call("POST", "/jobs", NEW)

    assert created.status_code == 201 and created.json()["connection"] == "demo"


def test_an_unknown_connection_is_a_422_naming_the_field(as_role, acme) -> None:
    response = as_role("admin").call("POST", "/jobs", {**NEW, "connection": "nowhere"})

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert "connection" in error["loc"] and "nowhere" in error["msg"]
    assert not Job.objects.filter(name="acme-hourly").exists()


def test_a_job_moves_to_another_connection_by_patch(as_role, acme) -> None:
    admin = as_role("admin")
    admin.call("POST", "/jobs", NEW)

    moved = admin.call("PATCH", "/jobs/acme-hourly", {"connection": "acme"})

    assert moved.status_code == 200 and moved.json()["connection"] == "acme"


def test_removing_a_connection_that_jobs_use_is_a_409_naming_them(as_role, acme) -> None:
    admin = as_role("admin")
    admin.call("POST", "/jobs", {**NEW, "connection": "acme"})

    refused = admin.call("DELETE", "/connections/acme")

    assert refused.status_code == 409 and "acme-hourly" in refused.json()["detail"]
    assert Connection.objects.filter(name="acme").exists()
    admin.call("DELETE", "/jobs/acme-hourly")
    assert admin.call("DELETE", "/connections/acme").status_code == 204


def test_the_cli_creates_a_job_on_a_connection_and_lists_it(acme) -> None:
    out = StringIO()
    call_command(
        "jobs",
        "create",
        "acme-cli",
        "--cron",
        "0 * * * *",
        "--checks",
        "diagnostics.pass",
        "--connection",
        "acme",
        stdout=out,
    )
    call_command("jobs", "list", stdout=out)

    assert Job.objects.get(name="acme-cli").connection == acme
    assert "acme-cli" in out.getvalue() and "acme" in out.getvalue()


def test_the_job_list_filters_by_connection(as_role, acme) -> None:
    admin = as_role("admin")
    admin.call("POST", "/jobs", {**NEW, "connection": "acme"})
    admin.call("POST", "/jobs", {**NEW, "name": "demo-hourly"})

    only = admin.call("GET", "/jobs?connection=acme").json()

    assert [job["name"] for job in only] == ["acme-hourly"]
