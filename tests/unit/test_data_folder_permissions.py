"""Item 7: what the embedded profile keeps on disk (database, broker messages, mails, the admin password) is
readable by its owner only — from the moment each file exists, whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from compliance_monitor.jobs.management.commands import serve

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def umask() -> Iterator[Any]:
    """Set the process umask for one test (the permissive 0 or a usual 022); restored afterwards."""
    previous = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(previous)


class MigrateCalled(Exception):
    """Stops ``serve`` at its first step that opens the database."""


def test_item_7_a_new_data_folder_is_created_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "missing" / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    code = "import os; os.umask(0o022); import compliance_monitor.settings"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "CM_DATA_DIR": str(data_dir)}, check=True)
    assert mode(data_dir) == 0o700


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")  # read by serve only; we stop before migrate
def test_item_7_serve_locks_down_an_existing_data_folder_and_database_before_migrating(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    database = data_dir / "compliance.sqlite3"
    files = [database, data_dir / "compliance.sqlite3-wal", data_dir / "compliance.sqlite3-shm"]
    data_dir.chmod(0o755)  # an install made before this change
    for path in files:
        path.touch()
        path.chmod(0o644)
    settings.DATA_DIR = data_dir
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}}
    seen: dict[str, int] = {}

    def first_command(name: str, *args: Any, **kwargs: Any) -> None:
        seen.update({"folder": mode(data_dir)}, **{path.name: mode(path) for path in files})
        raise MigrateCalled(name)

    monkeypatch.setattr(serve, "call_command", first_command)
    with pytest.raises(MigrateCalled, match="migrate"):
        call_command("serve")
    assert seen == {"folder": 0o700, **{path.name: 0o600 for path in files}}


def test_item_7_a_new_database_and_its_wal_and_shm_files_are_born_owner_only(tmp_path: Path, umask: Any) -> None:
    database = tmp_path / "compliance.sqlite3"
    serve.secure_sqlite(database)
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.commit()
        siblings = [tmp_path / "compliance.sqlite3-wal", tmp_path / "compliance.sqlite3-shm"]
        assert {path.name: mode(path) for path in [database, *siblings]} == {
            path.name: 0o600 for path in [database, *siblings]
        }
    finally:
        connection.close()


def test_item_7_the_admin_password_file_is_never_readable_by_others(
    db: None, settings: Any, tmp_path: Path, umask: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Created 0600, not made 0600 afterwards: with a umask of 0 and chmod doing nothing, it is still 0600."""
    umask(0)
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    monkeypatch.setattr(os, "fchmod", lambda *args, **kwargs: None)
    settings.DATA_DIR = tmp_path

    admin = serve.Command()._ensure_admin()

    password_file = tmp_path / "admin-password.txt"
    assert mode(password_file) == 0o600
    assert admin.check_password(password_file.read_text().strip())
    assert [p.name for p in tmp_path.iterdir()] == ["admin-password.txt"]  # no temporary file left behind


def test_item_7_a_symlink_planted_at_the_password_file_is_replaced_not_written_through(
    db: None, settings: Any, tmp_path: Path
) -> None:
    victim = tmp_path / "elsewhere.txt"
    victim.write_text("someone else's file\n")
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    (data_dir / "admin-password.txt").symlink_to(victim)
    settings.DATA_DIR = data_dir

    serve.Command()._ensure_admin()

    password_file = data_dir / "admin-password.txt"
    assert victim.read_text() == "someone else's file\n"
    assert not password_file.is_symlink() and mode(password_file) == 0o600
    assert get_user_model().objects.get(username="admin").check_password(password_file.read_text().strip())
