"""``manage.py backup`` / ``restore`` of the embedded profile, as a user runs them: real commands in their own
data folders. The restored installation decrypts its ERP password with the backed-up key (the connection test
signs in to a Flexi-format server) and runs a job; a damaged backup or a folder holding data is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from compliance_monitor.erp import synthetic
from compliance_monitor.erp.server import FlexiServer, FlexiState

ROOT = Path(__file__).resolve().parents[2]
RUN_A_JOB = """
from django.utils import timezone
from compliance_monitor.jobs import runner, services
from compliance_monitor.jobs.models import Job
job = Job.objects.get(name=services.DEFAULT_JOB_NAME)
execution = services.trigger(job, by="test", now=timezone.now())
runner.run(execution.pk, worker="here/1")
execution.refresh_from_db()
print("status", execution.status, execution.total_reports, execution.error_message)
"""


@pytest.fixture
def erp() -> Iterator[FlexiServer]:
    server = FlexiServer(FlexiState(synthetic.Company(), username="api", password="s3cret")).start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def manage(
    data: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``manage.py`` of an embedded installation in ``data``: its own SQLite, key files and settings."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("CM_", "DATABASE_URL", "CELERY_BROKER"))}
    inherited.pop("SECRET_KEY", None)
    env = inherited | {"CM_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "compliance_monitor.settings"} | (env or {})
    found = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if check:
        assert found.returncode == 0, found.stdout + found.stderr
    return found


def test_a_backup_restored_into_a_fresh_folder_reads_its_erp_password_and_runs_a_job(tmp_path, erp) -> None:
    first, kept, second = tmp_path / "first", tmp_path / "backup", tmp_path / "second"
    erp_settings = {"CM_ERP_URL": erp.url, "CM_ERP_COMPANY": "demo", "CM_ERP_USER": "api", "CM_ERP_PASSWORD": "s3cret"}
    manage(first, "setup", "--no-static", env=erp_settings)  # the default connection, its rules and default job

    made = manage(first, "backup", str(kept)).stdout

    assert "compliance.sqlite3" in made and "encryption.key" in made
    assert oct(kept.stat().st_mode & 0o777) == "0o700"
    assert all(oct(path.stat().st_mode & 0o777) == "0o600" for path in kept.iterdir())
    manage(second, "restore", str(kept))  # no CM_ERP_* here: the password must come from the restored database
    tested = manage(second, "connections", "test", "default", "--json").stdout
    assert '"ok": true' in tested
    ran = manage(second, "shell", "-c", RUN_A_JOB).stdout
    assert "status succeeded 3" in ran


def test_a_damaged_backup_and_a_folder_already_holding_data_are_refused(tmp_path) -> None:
    first, kept = tmp_path / "first", tmp_path / "backup"
    manage(first, "setup", "--no-static")
    manage(first, "backup", str(kept))

    again = manage(first, "restore", str(kept), check=False)
    assert again.returncode != 0 and "already holds data: restore into a fresh CM_DATA_DIR" in again.stderr

    with (kept / "compliance.sqlite3").open("r+b") as file:
        file.seek(200)
        file.write(b"\x00garbage")
    damaged = manage(tmp_path / "fresh", "restore", str(kept), check=False)
    assert damaged.returncode != 0 and "compliance.sqlite3 is missing or damaged" in damaged.stderr
    assert manage(first, "backup", str(kept), check=False).returncode != 0  # not into a folder holding files
