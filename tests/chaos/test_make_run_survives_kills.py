"""Issue 14: ``kill -9`` of any one process of ``make run`` leaves the service answering and running jobs.

The real ``manage.py serve`` (embedded profile, demo company) in a data folder of its own; each of its processes —
web, runs worker, control worker, beat — is killed with SIGKILL (its whole process group, as a crash would leave
it), the supervisor restarts it, and afterwards a job still runs to the end. ``CM_CHAOS_ROUNDS`` (``make chaos``)
repeats the kills (at most 4: a fifth exit within a minute is, by design, a crash loop that stops the service);
CI kills each process once.

Shown failing against a broken build: with ``Supervisor.tick`` not restarting (``tracked.restarts += 1`` and the
``_start`` call removed) the first kill leaves the process down and the wait for its restart times out.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.chaos.service import ROOT, free_port, own_env, sqlite_rows
from tests.processes import wait_until

ROUNDS = int(os.environ.get("CM_CHAOS_ROUNDS", "1"))
PROCESSES = ("web", "runs-worker", "control-worker", "beat")

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="make run is the embedded profile; it runs in the SQLite pass"
)


class Service:
    def __init__(self, data: Path) -> None:
        self.data, self.port = data, free_port()
        self.env = own_env(data)
        self.env |= {"CM_SWEEP_SECONDS": "2", "CM_HEARTBEAT_TIMEOUT_SECONDS": "6"}  # short liveness for the suite
        self.log = (data.parent / "serve.log").open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def state(self) -> dict[str, dict[str, object]]:
        try:
            return dict(json.loads((self.data / "supervisor.json").read_text())["processes"])
        except (OSError, ValueError, KeyError):
            return {}

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz/live", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def all_running(self) -> bool:
        state = self.state()
        return len(state) == len(PROCESSES) and all(p["running"] for p in state.values())

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )

    def busy(self) -> bool:
        """A run queued or running: a manual run claimed now would be skipped (the job's lease is held)."""
        active = "SELECT count(*) FROM jobs_execution WHERE status IN ('queued', 'running')"
        return sqlite_rows(self.data / "compliance.sqlite3", active) != [("0",)]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    running = Service(tmp_path / "data")
    try:
        wait_until(lambda: running.answers() and running.all_running(), timeout=90, interval=0.2, what="make run")
        yield running
    finally:
        running.stop()


# Not what is under test, and each would make the case depend on the time of day: beat firing a job (the demo's every
# 10 minutes, the default hourly) just before the final manual run would have that run skipped; and the demo's
# stock drifts, so in a few 10-minute slots no warehouse holds a misplaced product (no alert, no mail). So the
# schedules move to a far date, and one misplaced product is booked into the demo's dispatch store.
FAR = ("--cron", "0 0 29 2 *")  # 29 February: never within a run of the suite
BOOKING = """
from django.utils import timezone
from compliance_monitor.erp import demo
demo.book("EXPEDICE", [("MAT00001", 4)], user="chaos", now=timezone.now())
"""


def run_the_demo_job(service: Service) -> subprocess.CompletedProcess[str]:
    """A manual run once no other run holds the job; a change run (the booking's, or a re-check's) that takes the
    job between that moment and the claim has the manual run skipped (exit 2): then once more, after it."""
    for _ in range(3):
        wait_until(lambda: not service.busy(), timeout=90, interval=0.2, what="the start-up and change runs to end")
        ran = service.manage("jobs", "trigger", "demo-every-10-minutes", "--wait", "--timeout", "90")
        if not (ran.returncode == 2 and ": skipped" in ran.stdout):
            return ran
    return ran


def test_kill_9_of_any_one_process_leaves_the_service_answering_and_running_jobs(service: Service) -> None:
    for job in ("demo-every-10-minutes", "warehouse-compliance"):
        moved = service.manage("jobs", "set", job, *FAR)
        assert moved.returncode == 0, moved.stderr
    booked = service.manage("shell", "-c", BOOKING)
    assert booked.returncode == 0, booked.stderr
    recovered: list[float] = []
    for round_ in range(ROUNDS):
        for name in PROCESSES:
            before = service.state()[name]
            killed_at = time.monotonic()
            os.killpg(int(str(before["pid"])), signal.SIGKILL)  # the process and its pool: a crash

            def restarted(name: str = name, before: dict[str, object] = before) -> bool:
                now = service.state().get(name, {})
                return bool(now.get("running")) and now.get("pid") != before["pid"]

            wait_until(restarted, timeout=60, interval=0.1, what=f"{name} restarted (round {round_ + 1})")
            wait_until(service.answers, timeout=60, interval=0.1, what="the web server answering")
            recovered.append(time.monotonic() - killed_at)
            assert service.state()[name]["restarts"] == round_ + 1

    ran = run_the_demo_job(service)
    print(f"{len(recovered)} kills, each process restarted and answering within {max(recovered):.1f} s")
    assert ran.returncode == 1, ran.stdout + ran.stderr  # the demo's run found violations: the booking at least
    read = re.search(r"succeeded in .*\nreports: (\d+) of (\d+) passed, (\d+) with violations", ran.stdout)
    assert read is not None and int(read[2]) >= 3, ran.stdout
    assert int(read[1]) + int(read[3]) == int(read[2]), ran.stdout  # every warehouse read whole
    assert service.popen.poll() is None  # the service itself never stopped
    # What serve set up on its way (shown failing with write_private's 0600 made 0644, or no demo recipient):
    assert oct((service.data / "admin-password.txt").stat().st_mode & 0o777) == "0o600"
    mails = service.data / "mail"  # no EMAIL_HOST: the demo recipient's e-mails are files
    wait_until(lambda: mails.is_dir() and any(mails.iterdir()), timeout=30, what="the demo recipient's mail files")
