"""The connection test, step by step, against the real local Flexi-format server over loopback."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from compliance_monitor.erp import connections, probe
from compliance_monitor.erp.models import Connection
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "Pr0be-secret-9931"


@pytest.fixture
def server() -> Iterator[FlexiServer]:
    """Two companies: the demo one and ``acme`` with other warehouses."""
    state = FlexiState.of(Company(), Company.other("acme"), username="api", password=PASSWORD)
    flexi = FlexiServer(state).start_in_thread()
    yield flexi
    flexi.shutdown()
    flexi.server_close()


def connection_to(url: str, *, company: str = "demo", password: str = PASSWORD, **fields: object) -> Connection:
    values = {"base_url": url, "company": company, "username": "api", "password": password, "timeout_seconds": 2.0}
    return connections.create_connection(now=NOW, name="probed", **{**values, **fields})


def failed(result: probe.ProbeResult) -> probe.Step:
    assert not result.ok
    (step,) = [step for step in result.steps if not step.ok]
    assert step is result.steps[-1]  # the first failure ends the test
    return step


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_working_connection_passes_every_step_and_the_result_is_stored(db: None, server: FlexiServer) -> None:
    connection = connection_to(server.url)

    result = probe.test_connection(connection, now=NOW)

    assert result.ok
    names = [step.name for step in result.steps]
    assert names == [
        "reachable",
        "api",
        "credentials",
        "licence",
        "company",
        "answer_time",
        "warehouses",
        "goods_groups",
    ]
    details = {step.name: step.detail for step in result.steps}
    assert (
        details["warehouses"] == "3 warehouses (sklad)" and details["goods_groups"] == "4 goods groups (skupina-zbozi)"
    )
    assert "127.0.0.1" in details["reachable"]
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.last_tested_at == NOW and stored.last_test_result == result.as_json()


def test_each_company_of_a_server_is_tested_with_its_own_warehouses(db: None, server: FlexiServer) -> None:
    result = probe.test_connection(connection_to(server.url, company="acme"), now=NOW)

    assert result.ok and {s.name: s.detail for s in result.steps}["warehouses"] == "2 warehouses (sklad)"


def test_a_wrong_password_fails_at_credentials_in_plain_words(db: None, server: FlexiServer) -> None:
    result = probe.test_connection(connection_to(server.url, password="wrong"), now=NOW)

    step = failed(result)
    assert step.name == "credentials" and "wrong user name or password" in step.detail
    assert [s.name for s in result.steps] == ["reachable", "api", "credentials"]


def test_a_refused_licence_or_right_fails_at_licence(db: None, server: FlexiServer) -> None:
    server.set_faults(status=403)
    step = failed(probe.test_connection(connection_to(server.url), now=NOW))
    assert step.name == "licence" and "HTTP 403" in step.detail


def test_an_unknown_company_is_named_with_the_companies_the_server_has(db: None, server: FlexiServer) -> None:
    step = failed(probe.test_connection(connection_to(server.url, company="nope"), now=NOW))

    assert step.name == "company"
    assert step.detail == "company 'nope' does not exist on this server (it has: demo, acme)"


def test_an_html_page_instead_of_json_is_named_as_such(db: None, server: FlexiServer) -> None:
    server.set_faults(html=True)
    step = failed(probe.test_connection(connection_to(server.url), now=NOW))
    assert step.name == "api" and step.detail == probe.HTML_PAGE


def test_a_closed_port_is_connection_refused(db: None) -> None:
    step = failed(probe.test_connection(connection_to(f"http://127.0.0.1:{free_port()}"), now=NOW))
    assert step.name == "reachable" and step.detail.startswith("connection refused at 127.0.0.1:")


def test_a_host_name_that_does_not_resolve_is_named(db: None) -> None:
    step = failed(probe.test_connection(connection_to("http://nonexistent.invalid:5434"), now=NOW))
    assert step.name == "reachable" and "'nonexistent.invalid' does not resolve" in step.detail


def test_https_to_a_plain_http_server_is_a_tls_failure(db: None, server: FlexiServer) -> None:
    step = failed(probe.test_connection(connection_to(server.url.replace("http:", "https:")), now=NOW))
    assert step.name == "reachable" and step.detail.startswith("TLS handshake with 127.0.0.1:")


def test_a_server_slower_than_the_timeout_is_named(db: None, server: FlexiServer) -> None:
    server.state.latency_seconds = 0.5
    step = failed(probe.test_connection(connection_to(server.url, timeout_seconds=0.2), now=NOW))
    assert step.name == "answer" and "within 0.2 s" in step.detail


def test_the_demo_connection_answers_honestly_from_the_built_in_company_without_network(db: None) -> None:
    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError("the demo must not use the network")

    result = probe.test_connection(
        Connection.objects.get(name="demo"), now=NOW, transport=httpx.MockTransport(no_network)
    )

    assert result.ok and all("built-in demo company" in step.detail for step in result.steps)
    assert {s.name: s.detail for s in result.steps}["warehouses"].startswith("4 warehouses")


def test_the_password_never_appears_in_results_logs_or_errors(
    db: None, server: FlexiServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    for url, company, faults in (
        (server.url, "demo", {}),
        (server.url, "nope", {}),
        (server.url, "demo", {"html": True}),
        (server.url, "demo", {"status": 401}),
        (server.url.replace("http:", "https:"), "demo", {}),
        (f"http://127.0.0.1:{free_port()}", "demo", {}),
    ):
        server.set_faults(**faults)
        connection = connection_to(url, company=company)
        seen.append(json.dumps(probe.test_connection(connection, now=NOW).as_json()))
        seen.append(json.dumps(Connection.objects.get(pk=connection.pk).last_test_result))
        connection.delete()

    assert len(seen) == 12 and caplog.records
    everything = "\n".join([*seen, caplog.text, *(str(record.__dict__) for record in caplog.records)])
    assert PASSWORD not in everything
