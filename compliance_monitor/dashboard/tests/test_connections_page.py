"""The connections page: the list (never a password), adding one (admin), testing one (operator)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone

from compliance_monitor.erp import connections
from compliance_monitor.erp.models import Connection
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company

LIST = "/connections/"
PASSWORD = "Dashb0ard-secret-4471"


@pytest.fixture
def server() -> Iterator[FlexiServer]:
    state = FlexiState.of(Company(), username="api", password=PASSWORD)
    flexi = FlexiServer(state).start_in_thread()
    yield flexi
    flexi.shutdown()
    flexi.server_close()


def stored(name: str = "erp", *, url: str = "https://erp.example.com:5434", password: str = PASSWORD) -> Connection:
    return connections.create_connection(
        now=timezone.now(),
        name=name,
        title="Main ERP",
        base_url=url,
        company="demo",
        username="api",
        password=password,
        timeout_seconds=2.0,
    )


def form_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "erp",
        "title": "Main ERP",
        "base_url": "https://erp.example.com:5434",
        "company": "demo",
        "username": "api",
        "password": PASSWORD,
        "verify_tls": "on",
        "timeout_seconds": "15",
        "page_size": "500",
    }
    return {**data, **changes}


def assert_no_secret(html: str, connection: Connection) -> None:
    assert PASSWORD not in html
    assert connection.password_encrypted and connection.password_encrypted not in html


def test_the_list_shows_connections_and_never_the_password(as_role) -> None:
    connection = stored()
    client = as_role("viewer")
    listed = client.get(LIST)
    html = listed.content.decode()
    assert listed.status_code == 200
    assert "Main ERP" in html and "https://erp.example.com:5434" in html and "(password set)" in html
    assert "never tested" in html and ">Connections</a>" in html
    assert 'data-testid="connection-form"' not in html and 'data-testid="test-erp"' not in html  # viewer
    assert_no_secret(html, connection)
    assert_no_secret(client.get(f"{LIST}erp/").content.decode(), connection)
    assert_no_secret(as_role("admin").get(LIST).content.decode(), connection)


def test_the_list_needs_a_role(as_role) -> None:
    assert as_role("nobody").get(LIST).status_code == 403
    assert as_role("nobody").get(f"{LIST}missing/").status_code == 403
    assert as_role("viewer").get(f"{LIST}missing/").status_code == 404


def test_an_admin_adds_a_connection_and_its_password_is_stored_encrypted(as_role) -> None:
    client = as_role("admin")
    assert 'data-testid="connection-form"' in client.get(LIST).content.decode()

    response = client.post(f"{LIST}add", form_data())

    assert response.status_code == 302 and response["Location"] == f"{LIST}erp/"
    connection = Connection.objects.get(name="erp")
    assert connection.base_url == "https://erp.example.com:5434" and connection.page_size == 500
    assert connection.timeout_seconds == 15.0 and connection.verify_tls and connection.username == "api"
    assert connection.password == PASSWORD and PASSWORD not in connection.password_encrypted
    page = client.get(response["Location"]).content.decode()
    assert "Added connection erp." in page and "set (stored encrypted)" in page
    assert_no_secret(page, connection)


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_only_an_admin_may_add(as_role, role) -> None:
    client = as_role(role)
    assert 'data-testid="connection-form"' not in client.get(LIST).content.decode()
    response = client.post(f"{LIST}add", form_data())
    assert response.status_code == 403 and "admin role" in response.content.decode()
    assert not Connection.objects.filter(name="erp").exists()


def test_a_duplicate_name_is_refused_inline(as_role) -> None:
    connection = stored()
    response = as_role("admin").post(f"{LIST}add", form_data(base_url="https://other.example.com"))
    html = response.content.decode()
    assert response.status_code == 422
    assert "a connection named &#x27;erp&#x27; exists already" in html and 'class="errorlist' in html
    assert_no_secret(html, connection)  # not even rendered back into the password field
    assert Connection.objects.get(name="erp").base_url == "https://erp.example.com:5434"


def test_a_bad_url_is_refused_inline_naming_the_field(as_role) -> None:
    response = as_role("admin").post(f"{LIST}add", form_data(base_url="erp.example.com"))
    html = response.content.decode()
    assert response.status_code == 422
    errors = html[html.index('for="id_base_url"') : html.index('for="id_company"')]
    assert "an http:// or https:// URL" in errors
    assert PASSWORD not in html and not Connection.objects.filter(name="erp").exists()


def test_an_operator_tests_a_connection_and_its_page_shows_the_steps(as_role, server) -> None:
    connection = stored(url=server.url)
    client = as_role("operator")
    assert 'data-testid="test-erp"' in client.get(LIST).content.decode()

    response = client.post(f"{LIST}erp/test")

    assert response.status_code == 302 and response["Location"] == f"{LIST}erp/"
    page = client.get(response["Location"]).content.decode()
    assert "every step passed" in page and 'data-testid="steps"' in page
    for step in ("reachable", "credentials", "company", "warehouses", "goods_groups"):
        assert f"<td>{step}</td>" in page
    assert "3 warehouses (sklad)" in page and "✓ passed" in page and "✗" not in page.split('id="steps"')[1]
    assert "✓ passed" in client.get(LIST).content.decode()
    assert_no_secret(page, connection)


def test_a_failing_test_says_why(as_role, server) -> None:
    connection = stored(url=server.url, password="wrong-password")
    client = as_role("operator")
    client.post(f"{LIST}erp/test")
    page = client.get(f"{LIST}erp/").content.decode()
    assert "wrong user name or password" in page and "✗ failed" in page and "the test failed" in page
    assert "wrong-password" not in page and connection.password_encrypted not in page


def test_a_viewer_may_not_test(as_role) -> None:
    stored()
    client = as_role("viewer")
    assert 'data-testid="test"' not in client.get(f"{LIST}erp/").content.decode()
    response = client.post(f"{LIST}erp/test")
    assert response.status_code == 403 and "operator role" in response.content.decode()
    assert Connection.objects.get(name="erp").last_tested_at is None
