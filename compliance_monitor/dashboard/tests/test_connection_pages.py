"""A connection's page: its catalog (operators refresh it), editing and removing it (admin), its jobs; the
overview's failing connections."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from compliance_monitor.accounts.access import limit_user
from compliance_monitor.checks import rules
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.dashboard.tests.catalogs import PASSWORD, acme, acme_server, stored_catalog
from compliance_monitor.erp import connections
from compliance_monitor.erp.models import Catalog, Connection
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.jobs import lifecycle, services
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Status

PAGE = "/connections/acme/"


@pytest.fixture
def server() -> Iterator[FlexiServer]:
    yield from acme_server()


def edit_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Acme s.r.o.",
        "base_url": "http://127.0.0.1:9",
        "company": "acme",
        "username": "api",
        "password": "",
        "verify_tls": "on",
        "timeout_seconds": "2",
        "page_size": "1000",
        "enabled": "on",
        "notes": "",
    }
    return {**data, **changes}


def section(html: str, name: str) -> str:
    start = html.index(f'id="{name}"')
    return html[start : html.index("</section>", start)]


# --- roles ------------------------------------------------------------------------------------------------------


def test_a_viewer_sees_the_page_without_any_action(as_role) -> None:
    acme()
    html = as_role("viewer").get(PAGE).content.decode()
    assert "Catalog not read yet" in html and "an operator refreshes it" in html
    assert "No rules yet" in html and "No job reads this connection yet" in html
    for action in ('data-testid="refresh-catalog"', 'data-testid="test"', "edit-connection", "remove-form", "add-rule"):
        assert action not in html
    assert 'data-testid="new-job"' not in html


def test_an_operator_may_test_and_refresh_but_not_edit(as_role) -> None:
    acme()
    client = as_role("operator")
    html = client.get(PAGE).content.decode()
    assert 'data-testid="refresh-catalog"' in html and 'data-testid="test"' in html
    assert "edit-connection" not in html and "remove-form" not in html
    assert client.get(f"{PAGE}edit").status_code == 403
    assert client.post(f"{PAGE}edit", edit_data(title="changed")).status_code == 403
    assert client.post(f"{PAGE}remove", {"confirm": "on"}).status_code == 403
    assert Connection.objects.get(name="acme").title == "Acme s.r.o."


def test_a_viewer_may_not_refresh_the_catalog(as_role) -> None:
    acme()
    response = as_role("viewer").post(f"{PAGE}catalog/refresh")
    assert response.status_code == 403 and "operator role" in response.content.decode()
    assert not Catalog.objects.exists()


def test_another_companys_connection_is_a_404_for_a_limited_user(as_role) -> None:
    acme()
    other = Connection.objects.create(name="other", company="other", base_url="http://127.0.0.1:9")
    client = as_role("admin")
    limit_user(get_user_model().objects.get(username="admin-user"), ["other"])
    assert client.get(PAGE).status_code == 404
    assert client.post(f"{PAGE}catalog/refresh").status_code == 404
    assert client.get(f"/connections/{other.name}/").status_code == 200
    assert "acme" not in client.get("/connections/").content.decode()


# --- the catalog ------------------------------------------------------------------------------------------------


def test_an_operator_refreshes_the_catalog_and_sees_its_lists(as_role, server) -> None:
    acme(url=server.url)
    client = as_role("operator")

    response = client.post(f"{PAGE}catalog/refresh")

    assert response.status_code == 302 and response["Location"] == f"{PAGE}#catalog"
    html = client.get(PAGE).content.decode()
    assert "Read the catalog of acme: 2 warehouses, 4 goods groups." in html
    read = section(html, "catalog")
    assert "Catalog not read yet" not in read and 'data-testid="catalog-read"' in read
    warehouses = read[read.index('data-testid="catalog-warehouses"') : read.index('data-testid="catalog-goods-groups"')]
    assert "<code>SUROVINY</code></td><td>Raw materials</td><td>61</td>" in warehouses
    assert "<code>ZBOZI</code></td><td>Finished goods</td><td>62</td>" in warehouses
    assert "<code>VYROBEK</code></td><td>Product</td>" in read and "typZasoby.material" in read
    assert PASSWORD not in html


def test_a_failed_refresh_is_said_in_plain_words_and_keeps_the_old_lists(as_role) -> None:
    connection = acme(url="http://127.0.0.1:9")  # nothing listens there
    stored_catalog(connection)
    client = as_role("operator")

    client.post(f"{PAGE}catalog/refresh")

    html = client.get(PAGE).content.decode()
    error = html[html.index('data-testid="catalog-error"') :]
    error = error[: error.index("</p>")]
    assert "failed:" in error and "127.0.0.1:9" in error and "the lists below are as read before" in error
    assert "Could not read the catalog of acme:" in html
    assert "Finished goods" in section(html, "catalog")  # the old lists still shown
    assert PASSWORD not in html


def test_erp_names_are_escaped(as_role) -> None:
    connection = acme()
    script = "<script>alert('sklad')</script>"
    stored_catalog(
        connection,
        warehouses=[{"id": "62", "code": "ZBOZI", "name": script}],
        goods_groups=[{"id": "1", "code": "<b>G</b>", "name": "<img src=x onerror=alert(1)>"}],
    )
    rules.create_rule(connection, now=timezone.now(), warehouse_code="ZBOZI", classify_by="goods_group", allowed=["1"])
    html = as_role("admin").get(PAGE).content.decode()
    assert script not in html and "<img src=x" not in html and "<b>G</b>" not in html
    assert "&lt;script&gt;alert(&#x27;sklad&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in section(html, "rules")


# --- editing ----------------------------------------------------------------------------------------------------


def test_an_admin_edits_a_connection_and_a_blank_password_keeps_the_stored_one(as_role) -> None:
    acme()
    client = as_role("admin")
    form = client.get(f"{PAGE}edit").content.decode()
    assert 'value="Acme s.r.o."' in form and PASSWORD not in form and "Remove the stored password" in form

    response = client.post(f"{PAGE}edit", edit_data(title="Acme a.s.", page_size="250", notes="night batch"))

    assert response.status_code == 302 and response["Location"] == PAGE
    connection = Connection.objects.get(name="acme")
    assert (connection.title, connection.page_size, connection.notes) == ("Acme a.s.", 250, "night batch")
    assert connection.password == PASSWORD
    assert "Saved connection acme." in client.get(PAGE).content.decode()


def test_a_new_password_replaces_and_remove_clears_it(as_role) -> None:
    acme()
    client = as_role("admin")
    client.post(f"{PAGE}edit", edit_data(password="n3w-pass"))
    assert Connection.objects.get(name="acme").password == "n3w-pass"
    client.post(f"{PAGE}edit", edit_data(remove_password="on"))
    connection = Connection.objects.get(name="acme")
    assert connection.password == "" and not connection.has_password


def test_a_password_and_its_removal_together_are_refused(as_role) -> None:
    acme()
    response = as_role("admin").post(f"{PAGE}edit", edit_data(password="typed", remove_password="on"))
    html = response.content.decode()
    assert response.status_code == 422 and "either type a new password or remove the stored one" in html
    assert "typed" not in html and Connection.objects.get(name="acme").password == PASSWORD


def test_a_bad_url_is_refused_on_its_field_and_nothing_is_saved(as_role) -> None:
    acme()
    response = as_role("admin").post(f"{PAGE}edit", edit_data(base_url="acme.example.com", title="changed"))
    html = response.content.decode()
    assert response.status_code == 422
    errors = html[html.index('for="id_base_url"') : html.index('for="id_company"')]
    assert "an http:// or https:// URL" in errors and 'class="errorlist' in errors
    connection = Connection.objects.get(name="acme")
    assert (connection.base_url, connection.title) == ("http://127.0.0.1:9", "Acme s.r.o.")
    assert PASSWORD not in html


# --- removing ---------------------------------------------------------------------------------------------------


def test_removing_needs_the_confirmation(as_role) -> None:
    acme()
    response = as_role("admin").post(f"{PAGE}remove", {})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    assert Connection.objects.filter(name="acme").exists()


def test_a_connection_a_job_uses_is_not_removed_and_the_jobs_are_named(as_role) -> None:
    connection = acme()
    services.create_job(
        now=timezone.now(), name="acme-hourly", cron="0 * * * *", checks=["diagnostics.pass"], connection="acme"
    )
    response = as_role("admin").post(f"{PAGE}remove", {"confirm": "on"})
    html = response.content.decode()
    assert response.status_code == 409
    error = html[
        html.index('data-testid="remove-error"') : html.index("</div>", html.index('data-testid="remove-error"'))
    ]
    assert "is used by job(s) acme-hourly" in error and '<a href="/jobs/acme-hourly/">acme-hourly</a>' in error
    assert Connection.objects.filter(pk=connection.pk).exists()


def test_an_admin_removes_an_unused_connection_with_its_rules_and_catalog(as_role) -> None:
    connection = acme()
    stored_catalog(connection)
    rules.create_rule(connection, now=timezone.now(), warehouse_code="ZBOZI", classify_by="goods_group", allowed=["8"])
    client = as_role("admin")

    response = client.post(f"{PAGE}remove", {"confirm": "on"})

    assert response.status_code == 302 and response["Location"] == "/connections/"
    assert not Connection.objects.filter(name="acme").exists()
    assert not Catalog.objects.exists() and not WarehouseRule.objects.filter(connection_id=connection.pk).exists()
    assert "Removed connection acme" in client.get("/connections/").content.decode()


# --- jobs and next steps ----------------------------------------------------------------------------------------


def test_the_page_lists_its_jobs_and_offers_a_new_one(as_role) -> None:
    acme()
    services.create_job(
        now=timezone.now(), name="acme-hourly", cron="0 * * * *", checks=["diagnostics.pass"], connection="acme"
    )
    services.create_job(now=timezone.now(), name="elsewhere", cron="0 * * * *", checks=["diagnostics.pass"])
    html = as_role("admin").get(PAGE).content.decode()
    jobs = section(html, "jobs")
    assert '<a href="/jobs/acme-hourly/">acme-hourly</a>' in jobs and "elsewhere" not in jobs
    assert 'href="/jobs/new?connection=acme"' in jobs


def test_a_new_connection_shows_what_to_do_next(as_role) -> None:
    acme()
    html = as_role("admin").get(PAGE).content.decode()
    steps = section(html, "next-steps")
    assert '○ <a href="#test">Test the connection</a>' in steps and "Read its catalog" in steps
    assert "To add a rule, refresh the catalog first" in section(html, "rules")


# --- the overview -----------------------------------------------------------------------------------------------


def test_the_overview_lists_failing_connections_with_why(as_role, server) -> None:
    connection = acme(url=server.url, password="Wr0ng-pass-5520")
    client = as_role("operator")
    assert "✓ none failing" in client.get("/").content.decode()

    client.post(f"{PAGE}test")  # fails: wrong password
    card = client.get("/").content.decode()
    card = card[card.index('data-testid="connections-health"') :]
    assert "✗ 1 failing" in card and '<a href="/connections/acme/">acme</a>' in card
    assert "its last test failed at step credentials: wrong user name or password" in card
    assert "Wr0ng-pass-5520" not in card

    client.post(f"{PAGE}catalog/refresh")  # fails alike
    card = client.get("/").content.decode()
    assert "reading its catalog failed:" in card
    connections.update_connection(connection, now=timezone.now(), password=PASSWORD)
    client.post(f"{PAGE}test")
    client.post(f"{PAGE}catalog/refresh")
    assert "✓ none failing" in client.get("/").content.decode()


def test_a_job_whose_latest_run_failed_reading_the_erp_marks_its_connection(as_role) -> None:
    acme()
    job = services.create_job(
        now=timezone.now(),
        name="acme-hourly",
        cron="0 * * * *",
        checks=["diagnostics.pass"],
        connection="acme",
        max_retries=0,
    )
    now = timezone.now()
    run = Execution.objects.create(job=job, trigger="manual", triggered_by="olga", queued_at=now)
    lifecycle.claim(run.pk, worker="w1@host", now=now)
    failed = Result(Status.FAILED, error_type="ErpUnavailableError", error_message="ERP unreachable after 3 attempts")
    lifecycle.finish(run.pk, failed, now=now)
    html = as_role("viewer").get("/").content.decode()
    card = html[html.index('data-testid="connections-health"') :]
    assert "✗ 1 failing" in card and "the latest run of acme-hourly could not read the ERP" in card


def test_the_demo_connection_reads_its_catalog_in_process_and_is_edited_without_a_url(as_role) -> None:
    connections.ensure_connections(now=timezone.now())  # what `make run` starts with
    demo = Connection.objects.get(name="demo")
    client = as_role("admin")
    client.post("/connections/demo/catalog/refresh")
    html = client.get("/connections/demo/").content.decode()
    assert "Read the catalog of demo: 4 warehouses, 4 goods groups." in html
    assert "<code>POLOTOVARY</code></td><td>Semi-products warehouse</td>" in html
    data = edit_data(base_url="", company="demo", title="The demo", password="")
    assert client.post("/connections/demo/edit", data).status_code == 302
    demo.refresh_from_db()
    assert demo.title == "The demo" and demo.is_demo and demo.base_url == ""
