"""``manage.py serve``: the whole service on one machine (embedded profile) — web, workers and beat."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.erp import connections as erp_connections
from compliance_monitor.jobs import services, setup
from compliance_monitor.notifications.models import Recipient
from compliance_monitor.private_files import write_private
from compliance_monitor.supervisor import STATE_FILE_NAME, Child, Supervisor

# Ticks and sweeps take milliseconds: let the control worker take many at once, or a burst of due jobs
# waits one broker poll per tick. (Runs keep prefetch 1: a long run must not hoard queued ones.)
CONTROL_PREFETCH = ["--prefetch-multiplier", "16"]
# SQLite's companions of a database file; it creates them with the database's own mode.
SQLITE_SIBLINGS = ("-wal", "-shm", "-journal")


def secure_data_dir() -> None:
    """The data folder owner-only (0700) and the SQLite database 0600 — before anything opens the database.

    An install older than this keeps its files: they are tightened here, every start.
    """
    settings.DATA_DIR.chmod(0o700)
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        secure_sqlite(Path(str(database["NAME"])))


def secure_sqlite(path: Path) -> None:
    """Create the database file 0600 if it is missing (SQLite takes an empty file as an empty database, and gives
    its -wal and -shm files the same mode), and make the file and any siblings 0600 if they exist already."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in [path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIBLINGS)]:
        if file.exists():
            file.chmod(0o600)


class Command(BaseCommand):
    help = "Run the service: migrate, default jobs, web server, Celery workers and beat. Ctrl-C stops all."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--run-workers", type=int, default=2, help="concurrent runs (prefork processes)")

    def handle(self, *args: Any, host: str, port: int, run_workers: int, **options: Any) -> None:
        secure_data_dir()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        now = timezone.now()
        for line in setup.set_up(now=now):
            self.stdout.write(line)
        demo = erp_connections.implied_connection().is_demo
        if demo:
            started = services.ensure_demo(now=now)
            self.stdout.write(f"demo data (no CM_ERP_URL set); first runs queued: {len(started)}")
        admin = self._ensure_admin()
        if demo and not Recipient.objects.exists():
            # So the demo's alerts reach someone: the admin's inbox, and mail files in CM_DATA_DIR/mail.
            Recipient.objects.create(
                name="Demo operator",
                email="operator@example.invalid",
                user=admin,
                connection=erp_connections.implied_connection(),
                warehouses=[r.warehouse_code for r in WarehouseRule.objects.all()],
                is_administrator=True,
                is_escalation_contact=True,
                # Everything at once, so a first look sees notifications arrive (new recipients get medium and low
                # in an hourly digest: the Recipients page changes it).
                medium_policy="immediate",
                low_policy="immediate",
            )
        self.stdout.write(f"compliance-monitor on http://{host}:{port}/  (admin: http://{host}:{port}/admin/)")
        state = settings.DATA_DIR / STATE_FILE_NAME
        sys.exit(Supervisor(self._children(host, port, run_workers), state_file=state).run())

    def _children(self, host: str, port: int, run_workers: int) -> list[Child]:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "compliance_monitor"]
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
        return [
            Child(
                "web",
                [
                    python,
                    "-m",
                    "gunicorn",
                    "compliance_monitor.wsgi",
                    "-b",
                    f"{host}:{port}",
                    "-w",
                    "2",
                    "--access-logfile",
                    "-",
                    "--logger-class",
                    "compliance_monitor.web_logging.MaskingLogger",
                ],
            ),
            Child("runs-worker", [*celery, "worker", "-Q", "runs", "-c", str(run_workers), "-n", "runs@%h", *quiet]),
            # Ticks and sweeps get their own process so long runs never delay them.
            Child(
                "control-worker",
                [*celery, "worker", "-Q", "control", "-c", "1", "-n", "control@%h", *CONTROL_PREFETCH, *quiet],
            ),
            Child("beat", [*celery, "beat", "-l", "INFO", "-s", str(settings.DATA_DIR / "beat-schedule")]),
        ]

    def _ensure_admin(self) -> Any:
        users = get_user_model()
        existing = users.objects.filter(is_superuser=True).first()
        if existing:
            return existing
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser("admin", "", password)
        # The password goes to a file only the owner can read, never to the console or a log.
        path = settings.DATA_DIR / "admin-password.txt"
        write_private(path, password + "\n")
        self.stdout.write(self.style.WARNING(f"created user 'admin'; its password is in {path} — change it"))
        return users.objects.get(username="admin")
