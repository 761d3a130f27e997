"""Issue 14: the broker (a private Redis, never the shared one) is killed and restarted while a run is running and
another is queued — the running one finishes, the lost message is re-sent by beat's sweep, no lease stays stuck.

The whole distributed service in subprocesses: a SQLite database file (the database is not what is under test
here), a runs worker, a control worker and beat on ``redis://127.0.0.1:<private port>``, short liveness timings.
Shown failing with the sweep's ``reap_unclaimed`` step removed: the run whose message Redis lost waits for ever.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import wait_until

ROOT = Path(__file__).resolve().parents[2]
SETUP_JOB = """
from django.utils import timezone
from compliance_monitor.jobs import services
services.create_job(now=timezone.now(), name="slow", cron="0 0 1 1 *", checks=["diagnostics.sleep"],
    default_parameters={"seconds": 4})
"""

pytestmark = [
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="its own service: once, in the SQLite pass"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Redis:
    def __init__(self, folder: Path) -> None:
        self.port, self.folder, self.process = free_port(), folder, None
        self.start()

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen([*args, "--dir", str(self.folder)], stdout=subprocess.DEVNULL)
        wait_until(self.answers, timeout=10, interval=0.05, what="the private redis-server")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


class Service:
    """The distributed service's processes on one machine, with a database and broker of the test's own."""

    def __init__(self, data: Path, redis: Redis | None) -> None:
        self.data = data
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("CM_", "DATABASE_URL", "CELERY_"))}
        self.env = inherited | {
            "CM_DATA_DIR": str(data),
            "DJANGO_SETTINGS_MODULE": "compliance_monitor.settings",
            "DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port if redis else 0}/0",
            "SECRET_KEY": "chaos-suite-only-" + "x" * 40,
            "CM_ENCRYPTION_KEY": "WUg98X496doddlaFzqoBHWYmros9WVB7wicFpW9ZMuI=",
            "CM_DIAGNOSTIC_CHECKS": "1",
            "CM_SWEEP_SECONDS": "1",
            "CM_HEARTBEAT_SECONDS": "0.5",
            "CM_HEARTBEAT_TIMEOUT_SECONDS": "4",
            "CM_QUEUED_TIMEOUT_SECONDS": "4",
            "CM_LEASE_MARGIN_SECONDS": "2",
        }
        self.processes: list[subprocess.Popen[bytes]] = []

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

    def sql(self, query: str) -> list[tuple[object, ...]]:
        """A query on the service's database, whichever it is (through its own manage.py: no client needed)."""
        script = f"import json; from django.db import connection; c = connection.cursor(); c.execute({query!r}); "
        script += "print(json.dumps([list(r) for r in c.fetchall()], default=str))"
        return [tuple(row) for row in json.loads(self.manage("shell", "-c", script).strip().splitlines()[-1])]

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.data / "db.sqlite3", timeout=10) as database:
            found = database.execute(sql).fetchall()
        database.close()
        return found

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Service, Redis]]:
    redis = Redis(tmp_path)
    running = Service(tmp_path / "data", redis)
    running.data.mkdir()
    try:
        running.manage("setup", "--no-static")
        running.manage("shell", "-c", SETUP_JOB)
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
        running.start("runs", "worker", "-Q", "runs", "-c", "1", "-n", "runs@%h", *quiet)
        running.start("control", "worker", "-Q", "control", "-c", "1", "-n", "control@%h", *quiet)
        running.start("beat", "beat", "-l", "INFO", "--max-interval", "1", "-s", str(running.data / "beat"))
        yield running, redis
    finally:
        running.stop()
        if redis.process is not None and redis.process.poll() is None:
            redis.kill()


def test_a_broker_restart_during_a_run_loses_no_run_and_leaves_no_lease_stuck(service) -> None:
    running, redis = service
    first = running.manage("jobs", "trigger", "slow").strip().splitlines()[-1]
    key = first.replace("-", "")
    wait_until(
        lambda: running.rows(f"SELECT status FROM jobs_execution WHERE id='{key}'") == [("running",)],
        timeout=60,
        interval=0.2,
        what="the run to start",
    )
    second = running.manage("jobs", "trigger", "slow").strip().splitlines()[-1]  # queued behind it

    redis.kill()  # its messages (the queued run's among them) are gone: Redis keeps nothing on disk here
    redis.start()

    def settled() -> bool:
        statuses = dict(running.rows("SELECT id, status FROM jobs_execution"))
        return (
            statuses.get(key) == "succeeded"
            and "queued" not in statuses.values()
            and "running" not in statuses.values()
        )

    wait_until(settled, timeout=90, interval=0.5, what="every run final after the broker restart")
    runs = running.rows("SELECT id, status, trigger, retry_of_id FROM jobs_execution")
    recovered = [row for row in runs if row[3] == second.replace("-", "") and row[1] == "succeeded"]
    lost = [row for row in runs if row[0] == second.replace("-", "")]
    print(f"after the broker restart: {[(status, trigger) for _, status, trigger, _ in runs]}")
    assert lost and (lost[0][1] == "succeeded" or recovered), runs  # ran, or was re-sent by the sweep and ran
    assert running.rows("SELECT lease_owner FROM jobs_job WHERE name='slow'") == [(None,)]
