"""Backup and restore of the embedded profile (``manage.py backup DEST`` / ``manage.py restore SRC``).

A backup is a folder, owner-only (0700, files 0600), holding everything needed to bring the installation back:

* ``compliance.sqlite3`` — SQLite's online backup of the database (consistent while the service runs);
* ``encryption.key`` — the Fernet key(s) the ERP passwords are encrypted with (the data folder's, or
  ``CM_ENCRYPTION_KEY``'s): without them every stored password is lost;
* ``secret-key`` — Django's key (sessions, signed links), when the data folder has one;
* ``manifest.json`` — when, from which schema (each app's last migration), and each file's SHA-256.

``restore`` checks every checksum before it writes anything, refuses to overwrite a database that holds data (or
one a running service uses), then writes the files into ``CM_DATA_DIR`` and migrates (a backup from an older
version is upgraded in place, as any installation). PostgreSQL installations use ``pg_dump`` instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from compliance_monitor.erp import crypto
from compliance_monitor.private_files import write_private
from compliance_monitor.supervisor import STATE_FILE_NAME, read_state

DATABASE, KEY, SECRET, MANIFEST = "compliance.sqlite3", crypto.KEY_FILE_NAME, "secret-key", "manifest.json"


class BackupError(Exception):
    """Why a backup or restore cannot be made (the CLI prints it)."""


def sqlite_path() -> Path:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        raise BackupError("backup and restore are for the embedded profile (SQLite); back up PostgreSQL with pg_dump")
    return Path(str(database["NAME"]))


def backup(destination: Path, *, now: datetime) -> dict[str, Any]:
    """Write a backup into ``destination`` (a new or empty folder); returns its manifest."""
    source = sqlite_path()
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: give a new folder")
    destination.mkdir(parents=True, exist_ok=True)
    destination.chmod(0o700)
    _online_copy(source, destination / DATABASE)
    write_private(destination / KEY, ",".join(crypto.keys()) + "\n")
    secret = Path(settings.DATA_DIR) / SECRET
    if secret.exists():
        write_private(destination / SECRET, secret.read_text())
    manifest = {
        "created_at": now.isoformat(),
        "schema": _schema(),
        "files": {path.name: _sha256(path) for path in sorted(destination.iterdir())},
    }
    write_private(destination / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest


def restore(source: Path) -> dict[str, Any]:
    """Put the backup in ``source`` into ``CM_DATA_DIR``; the caller migrates afterwards."""
    target, data = sqlite_path(), Path(settings.DATA_DIR)
    manifest = _verified(source)
    if read_state(data / STATE_FILE_NAME) is not None:
        raise BackupError("the service is running on this data folder: stop it first")
    if _holds_data(target):
        raise BackupError(f"{target} already holds data: restore into a fresh CM_DATA_DIR")
    connection.close()
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    _online_copy(source / DATABASE, target)
    write_private(data / KEY, (source / KEY).read_text())
    if (source / SECRET).exists():
        write_private(data / SECRET, (source / SECRET).read_text())
    return manifest


def _online_copy(source: Path, target: Path) -> None:
    """SQLite's backup API: a consistent copy even while other processes write."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    try:
        with sqlite3.connect(source) as reading, sqlite3.connect(temporary) as writing:
            reading.backup(writing)
        reading.close()
        writing.close()
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def _verified(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
        files = dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError):
        raise BackupError(f"{source} holds no readable {MANIFEST}: not a compliance-monitor backup") from None
    for name in (DATABASE, KEY):
        if name not in files:
            raise BackupError(f"{source}: the backup has no {name}")
    for name, digest in files.items():
        path = source / Path(name).name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"{source}: {name} is missing or damaged (its checksum differs)")
    return manifest


def _holds_data(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with sqlite3.connect(path) as database:
        found = database.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='jobs_job'").fetchone()
        rows = database.execute("SELECT COUNT(*) FROM jobs_job").fetchone()[0] if found else 0
    database.close()
    return bool(rows)


def _schema() -> dict[str, str]:
    applied = MigrationRecorder(connection).applied_migrations()
    latest: dict[str, str] = {}
    for app, name in sorted(applied):
        latest[app] = name
    return latest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
