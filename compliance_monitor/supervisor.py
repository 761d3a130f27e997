"""Runs the embedded profile's processes together (``manage.py serve``) and keeps them running.

A child that exits is restarted after a backoff — 1 s, doubling to 30 s while it keeps failing, back to 1 s once it
has stayed up for a minute — and every exit is logged and counted. A child that crash-loops (``CRASH_LOOP_EXITS``
exits within ``CRASH_LOOP_SECONDS``) stops the whole service with a clear error: restarting it for ever would hide
a broken installation. Ctrl-C / SIGTERM stop every child cleanly.

What the supervisor sees is written to ``state_file`` (JSON, replaced atomically) after every change, so the web
process can show it in ``/healthz/ready`` and ``/metrics`` (compliance_monitor/api/processes.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import structlog

log = structlog.get_logger(__name__)
GRACE_SECONDS = 20
FIRST_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS = 1.0, 30.0
STABLE_SECONDS = 60.0  # up this long: the next exit starts the backoff afresh
CRASH_LOOP_EXITS, CRASH_LOOP_SECONDS = 5, 60.0


@dataclass(frozen=True)
class Child:
    name: str
    args: list[str]


@dataclass
class Tracked:
    """One child's life so far."""

    child: Child
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    exits: list[float] = field(default_factory=list)  # monotonic times, the recent ones
    failing: int = 0  # exits since it last stayed up for STABLE_SECONDS
    restart_at: float | None = None
    last_returncode: int | None = None
    last_exit_wall: float | None = None

    def as_json(self) -> dict[str, Any]:
        running = self.process is not None and self.process.poll() is None
        return {
            "pid": self.process.pid if running and self.process else None,
            "running": running,
            "restarts": self.restarts,
            "last_returncode": self.last_returncode,
            "last_exit_at": self.last_exit_wall,
        }


def backoff(failing: int) -> float:
    """The wait before restarting a child that exited ``failing`` times in a row: 1 s, doubling, at most 30 s."""
    return min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** max(0, failing - 1))


def crash_looping(exits: list[float], now: float) -> bool:
    return len([t for t in exits if now - t <= CRASH_LOOP_SECONDS]) >= CRASH_LOOP_EXITS


class Supervisor:
    def __init__(
        self,
        children: list[Child],
        *,
        state_file: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        poll_seconds: float = 0.2,
    ) -> None:
        self.tracked = {child.name: Tracked(child) for child in children}
        self.state_file = state_file
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.stopping = False
        self.failure = ""

    @property
    def running(self) -> dict[str, subprocess.Popen[bytes]]:
        return {name: t.process for name, t in self.tracked.items() if t.process is not None}

    def run(self) -> int:
        """Start every child and keep them running; returns the exit code for the whole service."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        for tracked in self.tracked.values():
            self._start(tracked)
        return self._watch()

    def _start(self, tracked: Tracked) -> None:
        # Own process group: a terminal's Ctrl-C reaches us only, and we stop the children in order.
        tracked.process = subprocess.Popen(tracked.child.args, start_new_session=True)
        tracked.started_at, tracked.restart_at = self.clock(), None
        log.info("process_started", process=tracked.child.name, pid=tracked.process.pid, restarts=tracked.restarts)
        self._write_state()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("service_stopping", signal=signal.Signals(signum).name)
        self.stopping = True

    def _watch(self) -> int:
        while not self.stopping:
            if not self.tick():
                self.stop_all()
                return 1
            time.sleep(self.poll_seconds)
        self.stop_all()
        return 0

    def tick(self) -> bool:
        """One look at every child: note exits, restart what is due. False: a child crash-loops, stop."""
        now = self.clock()
        for tracked in self.tracked.values():
            exited = tracked.restart_at is None and tracked.process is not None and tracked.process.poll() is not None
            if exited and not self._exited(tracked, now):
                return False
            if tracked.restart_at is not None and now >= tracked.restart_at and not self.stopping:
                tracked.restarts += 1
                self._start(tracked)
        return True

    def _exited(self, tracked: Tracked, now: float) -> bool:
        assert tracked.process is not None
        name, code, uptime = tracked.child.name, tracked.process.returncode, now - tracked.started_at
        tracked.exits = [t for t in tracked.exits if now - t <= CRASH_LOOP_SECONDS] + [now]
        tracked.last_returncode, tracked.last_exit_wall = code, time.time()
        if crash_looping(tracked.exits, now):
            self.failure = f"{name} exited {len(tracked.exits)} times within {CRASH_LOOP_SECONDS:.0f} s (last: {code})"
            log.error("process_crash_looping", process=name, returncode=code, exits=len(tracked.exits))
            self._write_state()
            return False
        tracked.failing = 1 if uptime >= STABLE_SECONDS else tracked.failing + 1
        wait = backoff(tracked.failing)
        tracked.restart_at = now + wait
        log.error("process_exited", process=name, returncode=code, restart_in=wait, uptime=round(uptime, 1))
        self._write_state()
        return True

    def state(self) -> dict[str, Any]:
        return {
            "supervisor_pid": os.getpid(),
            "failure": self.failure,
            "processes": {name: tracked.as_json() for name, tracked in self.tracked.items()},
        }

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        try:
            temporary = self.state_file.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.state()))
            temporary.replace(self.state_file)
        except OSError as exc:  # a full disk must not stop the supervision itself
            log.warning("supervisor_state_not_written", error=str(exc))

    def stop_all(self) -> None:
        # SIGTERM to each main process only: a Celery worker stops its own pool. Signalling the whole group
        # can kill a pool child that holds the pool's queue lock and deadlock the parent's shutdown.
        running = self.running
        for process in running.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + GRACE_SECONDS
        for name, process in running.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("process_killed", process=name)
                os.killpg(process.pid, signal.SIGKILL)  # the whole group: no orphaned pool children
                process.wait()
        if self.state_file is not None:
            self.state_file.unlink(missing_ok=True)


STATE_FILE_NAME = "supervisor.json"  # in CM_DATA_DIR


def read_state(path: Path) -> dict[str, Any] | None:
    """The supervisor's last written state, or None: no supervisor (another profile), or it is gone."""
    try:
        state = json.loads(path.read_text())
        os.kill(int(state["supervisor_pid"]), 0)  # still alive? (signal 0 only checks)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if isinstance(state.get("processes"), dict) else None
