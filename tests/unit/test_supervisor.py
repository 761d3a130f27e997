from __future__ import annotations

import os
import signal
import sys
import threading
import time

from compliance_monitor.supervisor import Child, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def test_when_one_process_dies_all_are_stopped_and_the_service_fails() -> None:
    supervisor = Supervisor(
        [Child("sleeper", SLEEPER), Child("crasher", [sys.executable, "-c", "raise SystemExit(3)"])]
    )

    assert supervisor.run() == 1
    assert all(process.poll() is not None for process in supervisor.running.values())


def test_a_stop_signal_stops_every_process_and_exits_cleanly() -> None:
    supervisor = Supervisor([Child("a", SLEEPER), Child("b", SLEEPER)])
    threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
    previous = signal.getsignal(signal.SIGTERM)
    try:
        started = time.monotonic()
        assert supervisor.run() == 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert time.monotonic() - started < 10
    assert all(process.returncode == -signal.SIGTERM for process in supervisor.running.values())
