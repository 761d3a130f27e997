from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.test import override_settings

from compliance_monitor.alerts import raising
from compliance_monitor.alerts.models import Alert
from compliance_monitor.alerts.tests.conftest import T0, job, outcome, run
from compliance_monitor.notifications.models import Recipient

# Every severity at once (new recipients get medium and low in an hourly digest): for tests of immediate delivery.
AT_ONCE = {"medium_policy": "immediate", "low_policy": "immediate"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What a real SMTP server (aiosmtpd) accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.received = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        self.received.set()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=2,
    ):
        yield inbox
    controller.stop()


@pytest.fixture
def smtp_down() -> Iterator[None]:
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),
        EMAIL_TIMEOUT=1,
    ):  # nobody listens there
        yield


class Webhook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.received.append(json.loads(self.rfile.read(length)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    server.received = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def manager(db: None) -> Recipient:
    user = get_user_model().objects.create_user("marta", "marta@example.com", "pw")
    return Recipient.objects.create(
        name="Marta (material store)", email="marta@example.com", user=user, warehouses=["MATERIAL"], **AT_ONCE
    )


@pytest.fixture
def raise_alert(run) -> Callable[..., Alert]:
    def make(warehouse: str = "MATERIAL", count: int = 12, hour: int = 0) -> Alert:
        run(hour, outcome(warehouse, *(f"P{i:03d}" for i in range(count))))
        return Alert.objects.get(warehouse=warehouse, state="open")

    return make


__all__ = ["AT_ONCE", "T0", "job", "raising", "run"]
