"""Item 9 of issue 10: Apprise sends plain text that pings nobody, and never logs a webhook's token."""

from __future__ import annotations

import copy
import logging
import logging.config
from collections.abc import Iterator

import pytest
import structlog
from django.conf import settings

from compliance_monitor.alerts.tests.conftest import T0, outcome
from compliance_monitor.logging import logging_config
from compliance_monitor.notifications import sender
from compliance_monitor.notifications.models import Recipient
from compliance_monitor.notifications.tests.conftest import AT_ONCE

ZWSP = "\u200b"
ERP_CODES = ("@channel", "@here", "@everyone", "<!channel>", "<@U123ABC>", "**bold**")


@pytest.fixture
def keep_structlog() -> Iterator[None]:
    """logging_config() configures structlog anew; loggers cached meanwhile keep the suite's processors list."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture
def debug_logging(keep_structlog: None) -> Iterator[None]:
    """The service's own logging configuration at CM_LOG_LEVEL=DEBUG; the suite's afterwards."""
    logging.config.dictConfig(logging_config(json=False, level="DEBUG"))
    yield
    logging.config.dictConfig(copy.deepcopy(settings.LOGGING))


def test_item_9_erp_text_reaches_the_webhook_as_plain_text_with_its_mentions_defanged(webhook, run, db) -> None:
    port = webhook.server_address[1]
    Recipient.objects.create(
        name="team chat", apprise_url=f"json://127.0.0.1:{port}/hook", warehouses=["ZBOZI"], **AT_ONCE
    )
    run(0, outcome("ZBOZI", *ERP_CODES))

    assert sender.send_due(now=T0) == 1

    (payload,) = webhook.received
    message = payload["message"]
    for mention in ("@channel", "@here", "@everyone", "<!channel>", "<@U123ABC>"):
        assert mention not in message
    for defanged in (
        f"@{ZWSP}channel",
        f"@{ZWSP}here",
        f"@{ZWSP}everyone",
        f"<{ZWSP}!channel>",
        f"<{ZWSP}@{ZWSP}U123ABC>",
    ):
        assert defanged in message
    assert "**bold**" in message  # plain text: Markdown is neither rendered nor mangled for a JSON endpoint


def test_item_9_the_apprise_and_urllib3_loggers_stay_at_warning_whatever_the_log_level(keep_structlog) -> None:
    for level in ("DEBUG", "INFO", "WARNING"):
        loggers = logging_config(json=False, level=level)["loggers"]
        assert loggers["apprise"]["level"] == "WARNING" and loggers["urllib3"]["level"] == "WARNING"
    assert logging_config(json=False, level="ERROR")["loggers"]["apprise"]["level"] == "ERROR"


def test_item_9_a_webhook_token_never_reaches_the_logs_at_debug(webhook, run, db, debug_logging, caplog) -> None:
    token = "tok-SECRET-4f1c9e"
    port = webhook.server_address[1]
    url = f"json://127.0.0.1:{port}/hook/{token}"
    Recipient.objects.create(name="team chat", apprise_url=url, warehouses=["ZBOZI"], **AT_ONCE)
    run(0, outcome("ZBOZI", "P001"))

    assert sender.send_due(now=T0) == 1

    assert webhook.received
    logged = "\n".join(f"{record.name} {record.getMessage()}" for record in caplog.records)
    assert token not in logged


def test_item_9_a_markdown_service_gets_erp_text_escaped_not_rendered(webhook, run, db) -> None:
    port = webhook.server_address[1]
    url = f"json://127.0.0.1:{port}/hook?format=markdown"
    Recipient.objects.create(name="team chat", apprise_url=url, warehouses=["ZBOZI"], **AT_ONCE)
    run(0, outcome("ZBOZI", "**bold**", "[click](https://evil.example)"))

    assert sender.send_due(now=T0) == 1

    (payload,) = webhook.received
    assert r"\*\*bold\*\*" in payload["message"] and r"\[click\]" in payload["message"]
