"""Issue 14: the database (a private PostgreSQL, never the shared one) crashes and restarts while a run is running.
The run the crash hit keeps beating (its worker reconnects), so the sweep never takes it for dead: it succeeds,
with no retry running beside it; no lease stays stuck, and a job runs afterwards. The service in subprocesses:
runs worker, control worker and beat on the filesystem broker; the run lasts 8 s, twice the heartbeat timeout.

Shown failing against the heartbeat that stopped at its first database error (before this test found it): the
sweep abandoned the still-running run and re-queued it beside the original.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.service import Service, free_port
from tests.processes import wait_until

BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"))), "")

pytestmark = [
    pytest.mark.skipif(not BIN or shutil.which("runuser") is None, reason="PostgreSQL's initdb/pg_ctl not here"),
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="its own service: once, in the SQLite pass"),
]


class Postgres:
    """initdb'd into a temporary folder and run as the ``postgres`` user (it refuses to run as root)."""

    def __init__(self) -> None:
        # Its own folder under /tmp: the postgres user cannot enter pytest's (root-only) temporary folders.
        self.port, self.data = free_port(), Path(tempfile.mkdtemp(prefix="cm-chaos-pg-"))
        shutil.chown(self.data, "postgres", "postgres")
        self.as_postgres(f"{BIN}/initdb", "-D", str(self.data / "db"), "-A", "trust", "-U", "postgres")
        self.start()

    def as_postgres(self, *args: str) -> None:
        done = subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{args[0]}: {done.stdout}{done.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.data / "log")
        self.as_postgres(f"{BIN}/pg_ctl", "-D", str(self.data / "db"), "-o", options, "-w", "-l", log, "start")

    def crash_and_restart(self) -> None:
        self.as_postgres(
            f"{BIN}/pg_ctl", "-D", str(self.data / "db"), "-m", "immediate", "stop"
        )  # as a crash: no checkpoint
        self.start()

    def stop(self) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{BIN}/pg_ctl", "-D", str(self.data / "db"), "-m", "fast", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Service, Postgres]]:
    postgres = Postgres()
    database = f"postgres://postgres@127.0.0.1:{postgres.port}/postgres"
    running = Service(tmp_path / "data", database=database)  # the filesystem broker: only the database is tested
    try:
        running.start_with_slow_job(seconds=8)
        yield running, postgres
    finally:
        running.stop()
        postgres.stop()


def statuses(running: Service) -> dict[str, str]:
    found = running.rows("SELECT id::text, status FROM jobs_execution")
    return {str(key).replace("-", ""): str(status) for key, status in found}


def test_a_database_crash_during_a_run_is_ridden_out_by_the_run_itself_no_lease_stuck_and_jobs_run(service) -> None:
    running, postgres = service
    first = running.manage("jobs", "trigger", "slow").strip().splitlines()[-1].replace("-", "")
    beating = f"SELECT 1 FROM jobs_execution WHERE id='{first}' AND status='running' AND heartbeat_at > started_at"
    wait_until(lambda: running.rows(beating), timeout=60, interval=0.2, what="the run to start beating")

    postgres.crash_and_restart()

    def settled() -> bool:
        found = statuses(running)
        return first in found and not {"queued", "running"} & set(found.values())

    wait_until(settled, timeout=120, interval=0.5, what="every run final after the database restart")
    found = statuses(running)
    print(f"after the database restart: {sorted(found.values())}")
    assert found == {first: "succeeded"}, found  # the run itself: not abandoned, no retry beside it
    assert "heartbeat_failed" in (running.data / "runs.log").read_text()  # the crash did hit the running run
    assert running.rows("SELECT lease_owner FROM jobs_job WHERE name='slow'") == [(None,)]
    after = running.manage("jobs", "trigger", "slow", "--wait", "--timeout", "60")
    assert ": succeeded in " in after, after
