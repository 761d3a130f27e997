"""``manage.py serve``'s supervisor: a child that dies is restarted with backoff and counted; one that crash-loops
stops the service with a clear error; a stop signal stops every child. Real child processes; the supervisor's clock
is an argument where the test is about waiting."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from compliance_monitor.supervisor import (
    CRASH_LOOP_EXITS,
    Child,
    Supervisor,
    backoff,
    read_state,
)

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def exited(supervisor: Supervisor, name: str) -> None:
    process = supervisor.running[name]
    process.wait(timeout=10)


def test_the_backoff_doubles_from_one_second_to_thirty() -> None:
    assert [backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_child_that_dies_is_restarted_after_its_backoff_and_counted_in_the_state_file(tmp_path: Path) -> None:
    clock, state = Clock(), tmp_path / "supervisor.json"
    supervisor = Supervisor([Child("sleeper", SLEEPER), Child("crasher", CRASHER)], state_file=state, clock=clock)
    for tracked in supervisor.tracked.values():
        supervisor._start(tracked)
    try:
        first = supervisor.running["crasher"].pid
        exited(supervisor, "crasher")
        assert supervisor.tick()  # noted: restart in 1 s
        clock.now = 0.9
        assert supervisor.tick() and supervisor.running["crasher"].pid == first
        clock.now = 1.0
        assert supervisor.tick() and supervisor.running["crasher"].pid != first

        exited(supervisor, "crasher")
        clock.now = 1.5
        supervisor.tick()
        clock.now = 3.4
        supervisor.tick()
        assert supervisor.tracked["crasher"].restarts == 1  # the second wait is 2 s
        clock.now = 3.5
        supervisor.tick()

        written = read_state(state)
        assert written is not None
        assert written["processes"]["crasher"]["restarts"] == 2
        assert written["processes"]["crasher"]["last_returncode"] == 3
        assert written["processes"]["sleeper"] == {**written["processes"]["sleeper"], "running": True, "restarts": 0}
    finally:
        supervisor.stop_all()
    assert not state.exists()


def test_a_child_that_stayed_up_a_minute_is_restarted_after_one_second_again() -> None:
    clock = Clock()
    supervisor = Supervisor([Child("crasher", CRASHER)], clock=clock)
    tracked = supervisor.tracked["crasher"]
    supervisor._start(tracked)
    tracked.failing = 4  # it had been failing
    exited(supervisor, "crasher")
    clock.now = 61.0  # but this time it lived for a minute

    supervisor.tick()

    assert tracked.restart_at == 62.0
    supervisor.stop_all()


def test_a_crash_looping_child_stops_the_service_with_an_error_naming_it(tmp_path: Path) -> None:
    clock = Clock()
    supervisor = Supervisor([Child("sleeper", SLEEPER), Child("crasher", CRASHER)], clock=clock, poll_seconds=0.05)
    real_tick = supervisor.tick

    def tick() -> bool:
        clock.now += 0.25  # a quarter of a second a look: the 5 exits (1+2+4+8 s apart) fall within a minute
        return real_tick()

    supervisor.tick = tick  # type: ignore[method-assign]

    assert supervisor.run() == 1

    assert supervisor.failure.startswith(f"crasher exited {CRASH_LOOP_EXITS} times within 60 s (last: 3)")
    assert supervisor.tracked["crasher"].restarts == CRASH_LOOP_EXITS - 1
    assert all(process.poll() is not None for process in supervisor.running.values())  # the sleeper stopped too


def test_the_state_of_a_supervisor_that_is_gone_is_not_shown(tmp_path: Path) -> None:
    state = tmp_path / "supervisor.json"
    state.write_text(json.dumps({"supervisor_pid": 2**22 + 12345, "processes": {}}))
    assert read_state(state) is None
    state.write_text(json.dumps({"supervisor_pid": os.getpid(), "processes": {"web": {"running": True}}}))
    assert read_state(state) == {"supervisor_pid": os.getpid(), "processes": {"web": {"running": True}}}


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
