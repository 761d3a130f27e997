from __future__ import annotations

import logging
from datetime import date

import pytest

from compliance_monitor.erp.client import ErpConfig, FlexiClient
from compliance_monitor.erp.flexi import (
    ErpAuthError,
    ErpMalformedResponseError,
    ErpPermissionError,
    ErpResponseError,
    ErpUnavailableError,
)
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.erp.tests.conftest import PASSWORD

DAY = date(2026, 1, 15)


def read(client: FlexiClient, warehouse: str = "MATERIAL") -> list[object]:
    return list(client.stock(warehouse, DAY))


def test_wrong_credentials_are_an_authentication_error_that_says_so(flexi: FlexiServer) -> None:
    config = ErpConfig(flexi.url, "demo", "api", "wrong-password", retries=2)
    with (
        FlexiClient(config) as client,
        pytest.raises(ErpAuthError, match=r"rejected the credentials of user 'api' \(HTTP 401\)") as caught,
    ):
        read(client)
    assert "wrong-password" not in str(caught.value) and flexi.state.requests == 1  # not retried


@pytest.mark.parametrize("status", [402, 403])
def test_a_licence_or_rights_problem_is_a_permission_error(
    client: FlexiClient, flexi: FlexiServer, status: int
) -> None:
    flexi.set_faults(status=status)
    with pytest.raises(ErpPermissionError, match=f"may not read .* \\(HTTP {status}"):
        read(client)


def test_server_errors_are_retried_with_backoff_then_reported_unreachable(
    client: FlexiClient, flexi: FlexiServer, sleeps: list[float]
) -> None:
    flexi.set_faults(status=500)
    with pytest.raises(ErpUnavailableError, match=r"ERP unreachable at .*: HTTP 500 \(tried 3 times\)"):
        read(client)
    assert flexi.state.requests == 3 and sleeps == [1.0, 2.0]


def test_a_passing_server_error_is_ridden_out_by_a_retry(client: FlexiClient, flexi: FlexiServer) -> None:
    flexi.set_faults(status=503, remaining=2)
    assert len(read(client)) == 40


def test_a_slow_server_times_out_and_is_reported_unreachable(client: FlexiClient, flexi: FlexiServer) -> None:
    flexi.set_faults(delay_seconds=0.6)
    with pytest.raises(ErpUnavailableError, match=r"timed out after 0\.3 s"):
        read(client)


def test_a_dropped_connection_is_retried_then_reported(client: FlexiClient, flexi: FlexiServer) -> None:
    flexi.set_faults(drop=True)
    with pytest.raises(ErpUnavailableError, match=r"connection failed \(\w+\)"):
        read(client)


def test_nobody_listening_is_reported_unreachable(sleeps: list[float]) -> None:
    config = ErpConfig("http://127.0.0.1:9", "demo", "api", PASSWORD, retries=1)
    with FlexiClient(config, sleep=sleeps.append) as client, pytest.raises(ErpUnavailableError, match="tried 2 times"):
        read(client)


def test_malformed_json_is_a_clear_error(client: FlexiClient, flexi: FlexiServer) -> None:
    flexi.set_faults(malformed=True)
    with pytest.raises(ErpMalformedResponseError, match="malformed JSON"):
        read(client)


def test_a_refusal_carries_the_servers_own_message(client: FlexiClient) -> None:
    with pytest.raises(ErpResponseError, match=r"HTTP 400 .*Sklad 'code:NOWHERE' nebyl nalezen"):
        read(client, "NOWHERE")


def test_no_error_or_log_line_contains_the_password(client: FlexiClient, flexi: FlexiServer, caplog) -> None:
    """caplog sees every record (the console handler writes to the stream it was configured with, which capsys
    does not capture). Shown failing by logging ``self.config.password`` in the client's retry warning."""
    flexi.set_faults(status=500)
    with caplog.at_level(logging.DEBUG), pytest.raises(ErpUnavailableError) as caught:
        read(client)
    assert PASSWORD not in str(caught.value) and PASSWORD not in repr(client.config)
    assert caplog.records, "the retries were logged"
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert PASSWORD not in logged
