"""Runs the embedded profile's processes together: if one dies, all stop; Ctrl-C stops all of them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from types import FrameType

import structlog

log = structlog.get_logger(__name__)
GRACE_SECONDS = 20


@dataclass(frozen=True)
class Child:
    name: str
    args: list[str]


class Supervisor:
    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def run(self) -> int:
        """Start every child and wait; returns the exit code for the whole service."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        for child in self.children:
            # Own process group: a terminal's Ctrl-C reaches us only, and we stop the children in order.
            self.running[child.name] = subprocess.Popen(child.args, start_new_session=True)
            log.info("process_started", process=child.name, pid=self.running[child.name].pid)
        return self._watch()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("service_stopping", signal=signal.Signals(signum).name)
        self.stopping = True

    def _watch(self) -> int:
        while not self.stopping:
            for name, process in self.running.items():
                if process.poll() is not None:
                    log.error("process_exited", process=name, returncode=process.returncode)
                    self.stop_all()
                    return 1
            time.sleep(0.2)
        self.stop_all()
        return 0

    def stop_all(self) -> None:
        # SIGTERM to each main process only: a Celery worker stops its own pool. Signalling the whole group
        # can kill a pool child that holds the pool's queue lock and deadlock the parent's shutdown.
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + GRACE_SECONDS
        for name, process in self.running.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("process_killed", process=name)
                os.killpg(process.pid, signal.SIGKILL)  # the whole group: no orphaned pool children
                process.wait()
