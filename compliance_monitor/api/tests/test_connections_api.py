from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from compliance_monitor.api.tests.conftest import Api
from compliance_monitor.erp.management.commands import connections as command
from compliance_monitor.erp.models import Connection
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company

PASSWORD, OTHER = "api-Secret-7731", "0ther-Secret-5521"


@pytest.fixture
def server() -> Iterator[FlexiServer]:
    flexi = FlexiServer(FlexiState(Company(), username="api", password=PASSWORD)).start_in_thread()
    yield flexi
    flexi.shutdown()
    flexi.server_close()


def body(url: str = "https://erp.example.com:5434", **fields: object) -> dict[str, object]:
    return {"name": "acme", "base_url": url, "company": "demo", "username": "api", "password": PASSWORD, **fields}


def test_viewers_read_admins_change_operators_test(as_role: Callable[[str], Api], server: FlexiServer) -> None:
    anonymous, viewer, operator, admin = (as_role(role) for role in ("anonymous", "viewer", "operator", "admin"))

    assert anonymous.call("GET", "/connections").status_code == 401
    assert viewer.call("POST", "/connections", body()).status_code == 403
    assert operator.call("POST", "/connections", body()).status_code == 403
    assert admin.call("POST", "/connections", body(server.url)).status_code == 201
    assert [c["name"] for c in viewer.call("GET", "/connections").json()] == ["acme", "demo"]
    assert viewer.call("POST", "/connections/acme/test").status_code == 403
    assert viewer.call("PATCH", "/connections/acme", {"title": "x"}).status_code == 403
    assert operator.call("DELETE", "/connections/acme").status_code == 403

    tested = operator.call("POST", "/connections/acme/test")
    assert tested.status_code == 200 and tested.json()["ok"] is True
    assert [step["name"] for step in tested.json()["steps"]][-1] == "goods_groups"
    assert viewer.call("GET", "/connections/acme").json()["last_test_result"]["ok"] is True


def test_a_duplicate_name_is_409_and_an_invalid_url_422_naming_the_field(as_role: Callable[[str], Api]) -> None:
    admin = as_role("admin")
    assert admin.call("POST", "/connections", body()).status_code == 201

    duplicate = admin.call("POST", "/connections", body())
    assert duplicate.status_code == 409 and "'acme' exists already" in duplicate.json()["detail"]
    invalid = admin.call("POST", "/connections", body("ftp://erp", name="other"))
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["body", "base_url"]
    bad_patch = admin.call("PATCH", "/connections/acme", {"base_url": "not a url"})
    assert bad_patch.status_code == 422 and bad_patch.json()["detail"][0]["loc"] == ["body", "base_url"]
    bad_name = admin.call("POST", "/connections", body(name="no spaces"))
    assert bad_name.status_code == 422 and bad_name.json()["detail"][0]["loc"][-1] == "name"


def test_the_password_is_write_only_and_a_patch_without_it_keeps_it(as_role: Callable[[str], Api]) -> None:
    admin = as_role("admin")
    created = admin.call("POST", "/connections", body()).json()
    assert created["has_password"] is True and "password" not in created

    admin.call("PATCH", "/connections/acme", {"title": "ACME s.r.o."})
    assert Connection.objects.get(name="acme").password == PASSWORD
    changed = admin.call("PATCH", "/connections/acme", {"password": "another-one"}).json()
    assert changed["title"] == "ACME s.r.o." and "password" not in changed
    assert Connection.objects.get(name="acme").password == "another-one"


def test_a_deleted_connection_is_gone(as_role: Callable[[str], Api]) -> None:
    admin = as_role("admin")
    admin.call("POST", "/connections", body())

    assert admin.call("DELETE", "/connections/acme").status_code == 204
    assert admin.call("GET", "/connections/acme").status_code == 404


def test_the_password_appears_in_no_api_answer_log_or_admin_page(
    as_role: Callable[[str], Api], admin_client: Client, server: FlexiServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = as_role("admin")
    answers = [
        admin.call("POST", "/connections", body(server.url)),
        admin.call("POST", "/connections", body(server.url)),  # 409
        admin.call("POST", "/connections", body("ftp://x", name="bad")),  # 422
        admin.call("PATCH", "/connections/acme", {"password": PASSWORD, "timeout_seconds": "slow"}),  # 422
        admin.call("PATCH", "/connections/acme", {"notes": "n"}),
        admin.call("GET", "/connections"),
        admin.call("GET", "/connections/acme"),
        admin.call("POST", "/connections/acme/test"),
        admin.call("PATCH", "/connections/acme", {"password": OTHER}),
        admin.call("POST", "/connections/acme/test"),  # fails: wrong user name or password
        admin.call("GET", "/openapi.json"),
    ]
    connection = Connection.objects.get(name="acme")
    connection.password = PASSWORD
    connection.save()
    pages = [
        admin_client.get(f"/admin/erp/connection/{connection.pk}/change/"),
        admin_client.get("/admin/erp/connection/"),
    ]

    assert [a.status_code for a in answers] == [201, 409, 422, 422, 200, 200, 200, 200, 200, 200, 200]
    assert all(page.status_code == 200 for page in pages)
    texts = [r.content.decode() for r in answers + pages] + [caplog.text]
    assert "wrong user name or password" in answers[9].content.decode()
    assert not [text for text in texts if PASSWORD in text or OTHER in text]


ADMIN_FORM = {
    "name": "acme",
    "title": "",
    "base_url": "https://erp.example.com:5434",
    "company": "acme",
    "username": "api",
    "password": PASSWORD,
    "timeout_seconds": "30",
    "page_size": "1000",
    "max_concurrent_requests": "4",
    "verify_tls": "on",
    "enabled": "on",
    "notes": "",
}


def test_the_admin_form_encrypts_a_new_password_and_a_blank_one_keeps_it(db: None, admin_client: Client) -> None:
    assert admin_client.post("/admin/erp/connection/add/", ADMIN_FORM).status_code == 302
    connection = Connection.objects.get(name="acme")
    assert connection.password == PASSWORD and PASSWORD not in connection.password_encrypted

    change = f"/admin/erp/connection/{connection.pk}/change/"
    assert admin_client.post(change, {**ADMIN_FORM, "password": "", "title": "ACME"}).status_code == 302
    kept = Connection.objects.get(pk=connection.pk)
    assert kept.title == "ACME" and kept.password == PASSWORD
    assert PASSWORD not in admin_client.get(change).content.decode()
    refused = admin_client.post(change, {**ADMIN_FORM, "password": OTHER, "base_url": "ftp://x"})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()  # the form, shown again
    assert OTHER not in refused.content.decode() and Connection.objects.get(pk=connection.pk).password == PASSWORD


def run(*args: str) -> str:
    out = StringIO()
    call_command("connections", *args, stdout=out)
    return out.getvalue()


def test_the_cli_adds_from_an_environment_variable_lists_tests_and_removes(
    db: None, server: FlexiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_PASSWORD", PASSWORD)
    added = run(
        "add", "acme", "--url", server.url, "--company", "demo", "--user", "api", "--password-env", "ACME_PASSWORD"
    )

    assert "added acme" in added and Connection.objects.get(name="acme").password == PASSWORD
    assert "✓ goods_groups" in run("test", "acme") and PASSWORD not in run("list")
    assert "acme" in run("list") and "demo" in run("list")
    assert run("remove", "acme").strip() == "removed acme" and not Connection.objects.filter(name="acme").exists()


def test_the_cli_prompts_for_the_password_and_a_failed_test_exits_2(
    db: None, server: FlexiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(command, "prompt", lambda text: OTHER)  # not the server's password
    run("add", "acme", "--url", server.url, "--company", "demo", "--user", "api")
    assert Connection.objects.get(name="acme").password == OTHER

    with pytest.raises(CommandError) as error:
        run("test", "acme")
    assert error.value.returncode == 2


def test_the_cli_takes_no_password_argument(db: None) -> None:
    with pytest.raises(CommandError, match="unrecognized arguments: --password"):
        run("add", "acme", "--url", "https://erp", "--company", "c", "--password", PASSWORD)
    assert not Connection.objects.filter(name="acme").exists()
