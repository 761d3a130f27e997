"""Suite-wide checks: under CI a missing service is a failure, never a silent skip."""

from __future__ import annotations

import os

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    from django.conf import settings

    broker = settings.CELERY_BROKER_URL
    if broker.startswith("filesystem://"):
        return
    from kombu import Connection

    try:
        with Connection(broker, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        message = f"broker {broker} is unreachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.exit(message, returncode=3)
        raise
