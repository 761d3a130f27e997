"""Suite-wide checks: under CI a missing service is a failure, never a silent skip."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

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


CATALOG = Path(__file__).resolve().parent / "compliance_monitor" / "locale" / "cs" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def czech_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The Czech catalog compiled from ``django.po`` as it is now (not the build's ``.mo``, which may be older), as
    the project's only catalog for the test; Django's cached catalogs are forgotten before and after."""
    from django.test import override_settings
    from django.utils.translation import trans_real

    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt compiles the catalog: apt-get install gettext"
    folder = tmp_path_factory.mktemp("locale")
    compiled = folder / "cs" / "LC_MESSAGES" / "django.mo"
    compiled.parent.mkdir(parents=True)
    subprocess.run([msgfmt, "--check", "-o", str(compiled), str(CATALOG)], check=True)
    trans_real._translations = {}
    trans_real._default = None
    try:
        with override_settings(LOCALE_PATHS=[str(folder)]):
            yield folder
    finally:
        trans_real._translations = {}
        trans_real._default = None
