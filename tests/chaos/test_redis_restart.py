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

from tests.chaos.service import FINDER_JOB, QUIET, Service, free_port
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
def service(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Service, Redis]]:
    """The service on a private Redis; a test may add settings with ``@pytest.mark.parametrize("service", [{…}],
    indirect=True)``."""
    redis = Redis(tmp_path)
    data = tmp_path / "data"
    broker = f"redis://127.0.0.1:{redis.port}/0"
    extra = getattr(request, "param", None)
    running = Service(data, database=f"sqlite:///{data / 'db.sqlite3'}", broker=broker, extra=extra)
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


RECIPIENT = """
from compliance_monitor.notifications.models import Recipient
Recipient.objects.create(name="store", email="store@example.com", warehouses=["DIAG"], medium_policy="immediate")
"""
GRACE = 3  # CM_REVIEW_GRACE_SECONDS here: the review sweep's period and the review task's head start


@pytest.mark.parametrize("service", [{"CM_REVIEW_GRACE_SECONDS": str(GRACE)}], indirect=True)
def test_a_broker_restart_loses_a_finished_runs_review_message_and_the_sweep_reviews_it_once(service) -> None:
    """The control worker (which reviews) is held back until the run finished, so its review message waits in
    Redis; Redis is then killed and restarted empty. Beat's review sweep reviews the run (after its grace): one
    review, the run's one alert, each of its deliveries sent once (mail files), no lease stuck.
    Shown failing with ``review_unreviewed`` returning 0 at once (nothing reviews the run: the wait times out)."""
    running, redis = service
    running.manage("shell", "-c", FINDER_JOB)
    running.manage("shell", "-c", RECIPIENT)
    control = running.processes[1]  # runs, control, beat (Service.start_with_slow_job)
    control.terminate()
    control.wait(timeout=20)
    run = running.manage("jobs", "trigger", "finder").strip().splitlines()[-1].replace("-", "")
    finished = f"SELECT finished_at FROM jobs_execution WHERE id='{run}' AND status='succeeded'"
    wait_until(lambda: running.rows(finished), timeout=60, interval=0.2, what="the run to finish")

    redis.kill()  # the review message (and beat's ticks) are gone with it
    redis.start()
    running.start("control-again", "worker", "-Q", "control", "-c", "1", "-n", "control2@%h", *QUIET)

    reviewed = f"SELECT reviewed_at FROM alerts_executionreview WHERE execution_id='{run}'"
    wait_until(lambda: running.rows(reviewed), timeout=60, interval=0.5, what="the sweep to review the run")
    sent = "SELECT count(*) FROM notifications_delivery WHERE status='sent'"
    wait_until(lambda: running.rows(sent) == [("1",)], timeout=30, interval=0.5, what="its e-mail sent")

    alerts = running.rows("SELECT execution_id, count(*) FROM alerts_alert GROUP BY fingerprint")
    deliveries = running.rows("SELECT channel, status FROM notifications_delivery")
    mails = [
        m for f in (running.data / "mail").glob("*") for m in f.read_text().split("\n") if m == "To: store@example.com"
    ]
    print(f"after the broker restart during the review: alerts {alerts}, deliveries {deliveries}, mails {len(mails)}")
    assert running.rows(f"SELECT count(*) FROM alerts_executionreview WHERE execution_id='{run}'") == [("1",)]
    assert alerts == [(run, "1")], alerts
    assert deliveries == [("email", "sent")] and len(mails) == 1
    assert running.rows("SELECT lease_owner FROM jobs_job WHERE name='finder'") == [(None,)]
