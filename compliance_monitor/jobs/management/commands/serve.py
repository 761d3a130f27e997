"""``manage.py serve``: the whole service on one machine (embedded profile) — web, workers and beat."""

from __future__ import annotations

import secrets
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.erp import sources
from compliance_monitor.jobs import services
from compliance_monitor.notifications.models import Recipient
from compliance_monitor.supervisor import Child, Supervisor

# Ticks and sweeps take milliseconds: let the control worker take many at once, or a burst of due jobs
# waits one broker poll per tick. (Runs keep prefetch 1: a long run must not hoard queued ones.)
CONTROL_PREFETCH = ["--prefetch-multiplier", "16"]


class Command(BaseCommand):
    help = "Run the service: migrate, default jobs, web server, Celery workers and beat. Ctrl-C stops all."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--run-workers", type=int, default=2, help="concurrent runs (prefork processes)")

    def handle(self, *args: Any, host: str, port: int, run_workers: int, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        now = timezone.now()
        for job in services.ensure_default_jobs(now=now):
            self.stdout.write(f"created default job {job.name} ({job.cron})")
        if sources.is_demo():
            started = services.ensure_demo(now=now)
            self.stdout.write(f"demo data (no CM_ERP_URL set); first runs queued: {len(started)}")
        admin = self._ensure_admin()
        if sources.is_demo() and not Recipient.objects.exists():
            # So the demo's alerts reach someone: the admin's inbox, and mail files in CM_DATA_DIR/mail.
            Recipient.objects.create(
                name="Demo operator",
                email="operator@example.invalid",
                user=admin,
                warehouses=[r.warehouse_code for r in WarehouseRule.objects.all()],
                is_administrator=True,
                is_escalation_contact=True,
            )
        self.stdout.write(f"compliance-monitor on http://{host}:{port}/  (admin: http://{host}:{port}/admin/)")
        sys.exit(Supervisor(self._children(host, port, run_workers)).run())

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
        path.write_text(password + "\n")
        path.chmod(0o600)
        self.stdout.write(self.style.WARNING(f"created user 'admin'; its password is in {path} — change it"))
        return users.objects.get(username="admin")
