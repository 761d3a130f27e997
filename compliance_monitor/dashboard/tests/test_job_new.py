"""The new-job page (admin), and what the job page says about the job's connection and its rules."""

from __future__ import annotations

import pytest
from django.utils import timezone

from compliance_monitor.checks import rules
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.dashboard.tests.catalogs import acme, stored_catalog
from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Job

NEW = "/jobs/new"


@pytest.fixture
def connection(db: None) -> Connection:
    found = acme()
    stored_catalog(found)
    for code, allowed in (("SUROVINY", ["MATERIAL"]), ("ZBOZI", ["VYROBEK"])):
        rules.create_rule(found, now=timezone.now(), warehouse_code=code, classify_by="goods_group", allowed=allowed)
    return found


def new_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "acme-hourly",
        "description": "Acme's stores every hour",
        "connection": "acme",
        "cron": "0 * * * *",
        "timezone": "Europe/Prague",
        "checks": [CHECK_NAME],
        "warehouses": ["ZBOZI"],
        "enabled": "on",
    }
    return {**data, **changes}


def field(html: str, name: str, following: str) -> str:
    return html[html.index(f'for="id_{name}"') : html.index(following)]


def test_the_page_preselects_the_connection_the_warehouse_check_and_offers_its_warehouses(as_role, connection):
    html = as_role("admin").get(NEW, {"connection": "acme"}).content.decode()
    assert '<option value="acme" selected>acme — Acme s.r.o.</option>' in html
    assert f'value="{CHECK_NAME}" id="id_checks_' in html
    assert "checked" in html[html.index(f'value="{CHECK_NAME}"') - 80 : html.index(f'value="{CHECK_NAME}"') + 60]
    boxes = html[html.index('data-testid="job-warehouses"') :]
    assert 'name="warehouses" value="SUROVINY"' in boxes and 'name="warehouses" value="ZBOZI"' in boxes
    assert 'hx-get="/jobs/new/warehouses"' in html and 'data-testid="cron-preview"' not in html  # loaded by htmx


def test_picking_another_connection_offers_its_warehouses(as_role, connection) -> None:
    client = as_role("admin")
    acme_boxes = client.get(f"{NEW}/warehouses", {"connection": "acme"}).content.decode()
    assert "Warehouses of acme" in acme_boxes and 'value="SUROVINY"' in acme_boxes
    Connection.objects.create(name="bare", company="bare", base_url="http://127.0.0.1:9")
    bare = client.get(f"{NEW}/warehouses", {"connection": "bare"}).content.decode()
    assert "bare has no warehouse rules yet" in bare and 'href="/connections/bare/#rules"' in bare


def test_an_admin_creates_a_job_on_a_connection(as_role, connection) -> None:
    client = as_role("admin")

    response = client.post(NEW, new_data())

    assert response.status_code == 302 and response["Location"] == "/jobs/acme-hourly/"
    job = Job.objects.get(name="acme-hourly")
    assert (job.connection, job.warehouses, job.checks) == (connection, ["ZBOZI"], [CHECK_NAME])
    assert (job.cron, job.timezone, job.enabled) == ("0 * * * *", "Europe/Prague", True)
    assert job.next_run_at is not None
    html = client.get(response["Location"]).content.decode()
    assert "Created job acme-hourly on connection acme." in html
    assert 'Reads connection <a href="/connections/acme/">acme</a>' in html
    assert "rule-problems" not in html


def test_a_job_created_disabled_is_not_scheduled(as_role, connection) -> None:
    assert as_role("admin").post(NEW, new_data(enabled="", warehouses=[])).status_code == 302
    job = Job.objects.get(name="acme-hourly")
    assert not job.enabled and job.next_run_at is None and job.warehouses == []


def test_a_bad_cron_is_refused_on_its_field_and_nothing_is_saved(as_role, connection) -> None:
    response = as_role("admin").post(NEW, new_data(cron="every hour"))
    html = response.content.decode()
    assert response.status_code == 422 and 'class="errorlist' in field(html, "cron", 'id="cron-preview"')
    assert 'value="every hour"' in html and 'value="acme-hourly"' in html  # the input is kept
    assert not Job.objects.filter(name="acme-hourly").exists()


def test_a_taken_name_is_refused_on_its_field(as_role, connection) -> None:
    services.create_job(now=timezone.now(), name="acme-hourly", cron="0 * * * *", checks=["diagnostics.pass"])
    response = as_role("admin").post(NEW, new_data())
    html = response.content.decode()
    assert response.status_code == 422 and "already exists" in field(html, "name", 'for="id_connection"')
    assert Job.objects.get(name="acme-hourly").connection != connection


def test_no_check_and_an_unknown_connection_are_refused(as_role, connection) -> None:
    response = as_role("admin").post(NEW, new_data(checks=[], connection="nowhere", warehouses=[]))
    html = response.content.decode()
    assert response.status_code == 422
    assert "Select a valid choice" in field(html, "connection", 'for="id_description"')
    assert "This field is required" in html[html.index('id="id_checks"') - 200 :]
    assert not Job.objects.filter(name="acme-hourly").exists()


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_an_admin_creates_jobs(as_role, connection, role) -> None:
    client = as_role(role)
    assert client.get(NEW).status_code == 403 and client.post(NEW, new_data()).status_code == 403
    assert 'href="/jobs/new"' not in client.get("/").content.decode()
    assert not Job.objects.filter(name="acme-hourly").exists()


def test_the_overview_and_the_connection_page_link_to_it(as_role, connection) -> None:
    client = as_role("admin")
    assert 'href="/jobs/new"' in client.get("/").content.decode()
    assert 'href="/jobs/new?connection=acme"' in client.get("/connections/acme/").content.decode()


def test_the_job_page_flags_its_rules_codes_the_catalog_does_not_know(as_role, connection) -> None:
    rules.create_rule(
        connection, now=timezone.now(), warehouse_code="GONE", classify_by="goods_group", allowed=["VYROBEK", "GHOST"]
    )
    services.create_job(
        now=timezone.now(), name="acme-hourly", cron="0 * * * *", checks=[CHECK_NAME], connection="acme"
    )
    html = as_role("viewer").get("/jobs/acme-hourly/").content.decode()
    problems = html[html.index('data-testid="rule-problems"') :]
    assert "warehouse GONE: ⚠ unknown to the ERP's catalog: GONE, GHOST" in problems
    assert "warehouse ZBOZI" not in problems.split("</ul>")[0]


def test_a_manual_run_offers_only_the_jobs_connections_warehouses(as_role, connection) -> None:
    services.create_job(
        now=timezone.now(), name="acme-hourly", cron="0 * * * *", checks=[CHECK_NAME], connection="acme"
    )
    html = as_role("operator").get("/jobs/acme-hourly/").content.decode()
    run = html[html.index('id="run-now"') : html.index("</section>", html.index('id="run-now"'))]
    assert 'value="SUROVINY"' in run and 'value="ZBOZI"' in run
    assert 'value="MATERIAL"' not in run and 'value="POLOTOVARY"' not in run  # the demo's rules
