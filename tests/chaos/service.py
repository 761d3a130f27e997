"""What the chaos cases share: a free port, the environment of an installation of a test's own (none of the suite's
``CM_*``, database or broker settings leak in), and the distributed service's processes on one machine."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLOW_JOB = """
from django.utils import timezone
from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Job
# The default job fires at the top of every hour: a case that crosses one would see its run and alerts.
for job in Job.objects.filter(name=services.DEFAULT_JOB_NAME):
    services.disable(job, reason="not under test", by="chaos suite", now=timezone.now())
services.create_job(now=timezone.now(), name="slow", cron="0 0 29 2 *", checks=["diagnostics.sleep"],
    default_parameters={{"seconds": {seconds}}})
"""
FINDER_JOB = """
from django.utils import timezone
from compliance_monitor.jobs import services
services.create_job(now=timezone.now(), name="finder", cron="0 0 29 2 *", checks=["diagnostics.violations"])
"""
QUIET = ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sqlite_rows(path: Path, query: str) -> list[tuple[str | None, ...]]:
    """A query on a service's SQLite file, values as text."""
    with sqlite3.connect(path, timeout=10) as database:
        found = database.execute(query).fetchall()
    database.close()
    return [tuple(None if v is None else str(v) for v in row) for row in found]


def own_env(data: Path) -> dict[str, str]:
    """This process's environment without the suite's settings, for an installation whose data is in ``data``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("CM_", "DATABASE_URL", "CELERY_"))}
    inherited.pop("SECRET_KEY", None)
    return inherited | {"CM_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "compliance_monitor.settings"}


class Service:
    """The distributed service's processes — runs worker, control worker, beat — on ``database`` and ``broker``
    (the filesystem one when None), with short liveness timings."""

    def __init__(
        self, data: Path, *, database: str, broker: str | None = None, extra: dict[str, str] | None = None
    ) -> None:
        self.data, self.database = data, database
        self.env = own_env(data) | {
            "DATABASE_URL": database,
            "SECRET_KEY": "chaos-suite-only-" + "x" * 40,
            "CM_ENCRYPTION_KEY": "WUg98X496doddlaFzqoBHWYmros9WVB7wicFpW9ZMuI=",
            "CM_DIAGNOSTIC_CHECKS": "1",
            "CM_SWEEP_SECONDS": "1",
            "CM_HEARTBEAT_SECONDS": "0.5",
            "CM_HEARTBEAT_TIMEOUT_SECONDS": "4",
            "CM_QUEUED_TIMEOUT_SECONDS": "4",
            "CM_LEASE_MARGIN_SECONDS": "2",
        }
        if broker is not None:
            self.env["CELERY_BROKER_URL"] = broker
        self.env |= extra or {}
        self.processes: list[subprocess.Popen[bytes]] = []
        data.mkdir()

    def start_with_slow_job(self, seconds: float) -> None:
        """The database set up, a job ``slow`` running ``seconds`` (the hourly default job disabled), then the
        processes."""
        self.manage("setup", "--no-static")
        self.manage("shell", "-c", SLOW_JOB.format(seconds=seconds))
        self.start("runs", "worker", "-Q", "runs", "-c", "1", "-n", "runs@%h", *QUIET)
        self.start("control", "worker", "-Q", "control", "-c", "1", "-n", "control@%h", *QUIET)
        self.start("beat", "beat", "-l", "INFO", "--max-interval", "1", "-s", str(self.data / "beat"))

    def manage(self, *args: str) -> str:
        found = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert found.returncode == 0, found.stdout + found.stderr
        return found.stdout

    def start(self, name: str, *args: str) -> None:
        log = (self.data / f"{name}.log").open("wb")
        celery = [sys.executable, "-m", "celery", "-A", "compliance_monitor", *args]
        self.processes.append(subprocess.Popen(celery, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))

    def rows(self, query: str) -> list[tuple[str | None, ...]]:
        """A query on the service's database (SQLite file, or PostgreSQL through psql), values as text."""
        if self.database.startswith("sqlite:///"):
            return sqlite_rows(Path(self.database.removeprefix("sqlite:///")), query)
        answer = subprocess.run(
            ["psql", self.database, "-AtX", "-F", "\t", "-c", query], capture_output=True, text=True, timeout=30
        )
        assert answer.returncode == 0, answer.stderr
        return [tuple(v or None for v in line.split("\t")) for line in answer.stdout.splitlines()]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
