"""Issue 14: the broker (a private Redis, never the shared one) is killed and restarted while a run is running and
another is queued — the running one finishes, the lost message is re-sent by beat's sweep, no lease stays stuck.

The whole distributed service in subprocesses: a SQLite database file (the database is not what is under test
here), a runs worker, a control worker and beat on ``redis://127.0.0.1:<private port>``, short liveness timings.
Shown failing with the sweep's ``reap_unclaimed`` step removed: the run whose message Redis lost waits for ever.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.service import Service, free_port
from tests.processes import wait_until

pytestmark = [
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="its own service: once, in the SQLite pass"),
]
ROUNDS = int(os.environ.get("CM_CHAOS_ROUNDS", "1"))


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


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Service, Redis]]:
    redis = Redis(tmp_path)
    data = tmp_path / "data"
    running = Service(data, database=f"sqlite:///{data / 'db.sqlite3'}", broker=f"redis://127.0.0.1:{redis.port}/0")
    try:
        running.start_with_slow_job(seconds=4)
        yield running, redis
    finally:
        running.stop()
        if redis.process is not None and redis.process.poll() is None:
            redis.kill()


def test_a_broker_restart_during_a_run_loses_no_run_and_leaves_no_lease_stuck(service) -> None:
    """``CM_CHAOS_ROUNDS`` restarts (``make chaos``: 3; CI: 1), each during a run with another queued behind it."""
    running, redis = service
    for round_ in range(1, ROUNDS + 1):
        print(f"round {round_}:", end=" ")
        restart_during_a_run(running, redis)


def restart_during_a_run(running: Service, redis: Redis) -> None:
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
