"""Real Celery worker and beat processes for the acceptance tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.02, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def test_database_url() -> str:
    """The URL of pytest-django's test database, for subprocesses."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    user = settings["USER"] or "postgres"
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


class Process:
    """A subprocess in its own process group, its output in a log file we can wait on."""

    def __init__(self, name: str, args: list[str], log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        environment = {**os.environ, "DATABASE_URL": test_database_url(), **(env or {})}
        with self.log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                args, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, text: str, *, timeout: float = 30) -> None:
        def seen() -> bool:
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.popen.returncode}:\n{self.output()[-3000:]}")
            return text in self.output()

        wait_until(seen, timeout=timeout, interval=0.05, what=f"{text!r} from {self.name}")

    def kill9(self) -> None:
        """kill -9 the whole group: the worker's parent and its pool children, as a crashed machine."""
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.terminate()  # the main process only; it stops its pool (see supervisor.stop_all)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill9()


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "compliance_monitor", *args]


def start_worker(
    name: str,
    log_dir: Path,
    *,
    concurrency: int = 2,
    queues: str = "runs,control",
    wait: bool = True,
    env: dict[str, str] | None = None,
    extra: list[str] | None = None,
) -> Process:
    args = celery(
        "worker",
        "-P",
        "prefork",
        "-c",
        str(concurrency),
        "-Q",
        queues,
        "-n",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "INFO",
        *(extra or []),
    )
    worker = Process(name, args, log_dir, env)
    if wait:
        worker.wait_for_output("ready.")
    return worker


def start_beat(log_dir: Path, *, fake_start: str | None = None) -> Process:
    """Start beat; with ``fake_start`` (ISO time) its clock starts there and runs at real speed."""
    args = celery("beat", "-l", "DEBUG", "--max-interval", "1", "-s", str(log_dir / "beat-schedule"))
    if fake_start:
        args = [sys.executable, str(ROOT / "tests" / "fake_clock.py"), fake_start, *args[1:]]
    beat = Process("beat", args, log_dir, env={"CM_LOG_LEVEL": "DEBUG"})  # DEBUG: its loop is visible
    beat.wait_for_output("beat: Starting")
    return beat


def wait_for_steady_beat(beat: Process, *, timeout: float = 10) -> None:
    """Wait until beat has loaded its schedule *and* noted the change stamp.

    django-celery-beat misses a change made between its initial read and its first change check (the
    stamp is first recorded, not compared), so schedules change only after beat's second loop.
    """
    wait_until(
        lambda: beat.output().count("beat: Waking up") >= 2, timeout=timeout, interval=0.05, what="beat's steady loop"
    )
