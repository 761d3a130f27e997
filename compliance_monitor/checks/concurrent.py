"""Reading a check's scopes (warehouses) concurrently, within its connection's request slots (``erp/slots.py``).

The run's thread — the only one that touches the database — claims up to one slot per scope (as many as are free
under ``max_concurrent_requests``, waiting for at least one), starts one reading thread per slot it holds, renews the
slots while they read, tops up when slots come free, and releases each slot when its thread ends. Reading threads
do HTTP, parsing and rule evaluation only: each takes the next scope in rule order, reads its pages in order through
a source of its own, and hands back the scope's outcome. Outcomes are returned in rule order, as a sequential read
would give them.

* Until the first scope's first page is answered, the other threads wait: wrong credentials cost one request,
  and the first scope asked is the first rule's, as before.
* Wrong credentials (:class:`ErpAuthError`) stop the read: no thread asks again; the scope that met them says why,
  every scope not read whole says "not read".
* A stop — a soft time limit, any exception in the run's thread, a bug in a reading thread — stops handing out
  scopes, keeps the outcomes of scopes read whole (``attach_outcomes``), waits at most :data:`STOP_GRACE_SECONDS`
  for the threads, releases the slots of those that ended and leaves the others to expire (their thread may still
  be in a request, which the limit must count), and raises: it never waits for a thread stuck in a request.
"""

from __future__ import annotations

import contextlib
import contextvars
import queue
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

import structlog
from django.utils import timezone

from compliance_monitor.checks.base import CheckOutcome, attach_outcomes
from compliance_monitor.erp import slots
from compliance_monitor.erp.flexi import ErpAuthError, StockRow
from compliance_monitor.erp.models import Connection
from compliance_monitor.erp.read_ahead import ReadInterruptedError
from compliance_monitor.erp.reads import RowRequest
from compliance_monitor.erp.sources import StockSource

log = structlog.get_logger(__name__)
TICK_SECONDS = 10.0  # how often the run's thread renews its slots (their lease: slots.SLOT_TTL) and tops them up
STOP_GRACE_SECONDS = 2.0
ASYNC_SIGNALS = signal.valid_signals() - {signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGABRT}


class Scope(Protocol):
    def incomplete(self, problem: str) -> CheckOutcome: ...


S = TypeVar("S", bound=Scope)
R = TypeVar("R")
ReadScope = Callable[[S, StockSource], CheckOutcome]  # may raise ErpAuthError; any other ErpError it judges itself


class Slots(Protocol):
    """The slots a run holds: numbers, each lent to one reading thread."""

    def acquire(self, want: int) -> list[int]: ...  # up to ``want``, waiting for at least one
    def claim(self, want: int) -> list[int]: ...  # up to ``want`` free now, perhaps none
    def renew(self, numbers: list[int]) -> list[int]: ...  # the numbers still held
    def release(self, numbers: list[int] | None, keep: list[int] = ...) -> None: ...  # None: all but ``keep``


@dataclass
class ErpSlots:
    """A connection's installation-wide request slots, held by one run (its own holder id)."""

    connection: Connection
    holder: uuid.UUID = field(default_factory=uuid.uuid4)
    clock: Callable[[], datetime] = timezone.now
    wait_seconds: float | None = None  # None: slots.WAIT_SECONDS

    def acquire(self, want: int) -> list[int]:
        wait = slots.WAIT_SECONDS if self.wait_seconds is None else self.wait_seconds
        return slots.acquire(self.connection, self.holder, want=want, clock=self.clock, wait_seconds=wait)

    def claim(self, want: int) -> list[int]:
        return slots.claim(self.connection, self.holder, want=want, now=self.clock())

    def renew(self, numbers: list[int]) -> list[int]:
        return slots.renew(self.connection, self.holder, numbers, now=self.clock())

    def release(self, numbers: list[int] | None, keep: list[int] = []) -> None:  # noqa: B006 — never mutated
        slots.release(self.connection, self.holder, numbers, keep=keep)


class OneThread:
    """The demo company answers in-process — no server to protect, and threads would only share one GIL: one
    reading thread, no slots claimed."""

    def acquire(self, want: int) -> list[int]:
        return [0]

    def claim(self, want: int) -> list[int]:
        return []

    def renew(self, numbers: list[int]) -> list[int]:
        return numbers

    def release(self, numbers: list[int] | None, keep: list[int] = []) -> None:  # noqa: B006 — never mutated
        pass


def slots_for(connection: Connection) -> Slots:
    return OneThread() if connection.is_demo else ErpSlots(connection)


class Stopped(Exception):
    """Raised in a reading thread between rows once the read is stopped."""


class _Guarded:
    """A thread's source: checks the stop before every row or page (no next page is asked once stopped) and, for
    the first scope, opens the gate at its first row or page."""

    def __init__(self, source: StockSource, stop: threading.Event, gate: threading.Event | None) -> None:
        self.source, self.stop, self.gate = source, stop, gate

    def stock(self, warehouse: str, on: date) -> Iterator[StockRow]:
        return self._guard(self.source.stock(warehouse, on))

    def rows(self, request: RowRequest) -> Iterator[dict[str, Any]]:
        return self._guard(self.source.rows(request))

    def row_pages(self, request: RowRequest) -> Iterator[list[dict[str, Any]]]:
        """The pages, the stop checked before each (a page in hand is judged: a thousand rows in memory)."""
        return self._guard(self.source.row_pages(request))

    def _guard(self, read: Iterable[R]) -> Iterator[R]:
        rows, gate = iter(read), self.gate
        try:
            while not self.stop.is_set():
                try:
                    row = next(rows, None)
                except ReadInterruptedError:  # by the stop (_halt): as a stop between rows
                    raise Stopped from None
                if row is None:
                    return
                if gate is not None:
                    gate.set()
                    gate = None
                yield row
            raise Stopped
        finally:
            getattr(rows, "close", lambda: None)()  # at once, not when collected: its read-ahead ends

    def interrupt(self) -> None:
        self.source.interrupt()

    def close(self) -> None:
        self.source.close()


@dataclass(frozen=True)
class _Failed:
    index: int
    error: BaseException


@dataclass(frozen=True)
class _Ended:
    number: int


_Message = _Failed | _Ended


@dataclass
class _Worker:
    number: int
    source: StockSource
    thread: threading.Thread | None = None
    retire: threading.Event = field(default_factory=threading.Event)  # its slot was lost: take no more scopes


class ConcurrentRead(Generic[S]):
    """One run's read of ``scopes``; :meth:`run` returns their outcomes in order."""

    def __init__(
        self,
        scopes: Sequence[S],
        read: ReadScope[S],
        open_source: Callable[[], StockSource],
        slots: Slots,
        *,
        tick_seconds: float | None = None,
        grace_seconds: float | None = None,
    ) -> None:
        self.scopes, self.read, self.open_source, self.slots = scopes, read, open_source, slots
        self.tick_seconds = TICK_SECONDS if tick_seconds is None else tick_seconds
        self.grace_seconds = STOP_GRACE_SECONDS if grace_seconds is None else grace_seconds
        self.outcomes: dict[int, CheckOutcome] = {}  # written by the reading threads (under the lock), so an
        # exception in the run's thread — at any instruction — loses no scope read whole
        self.auth_errors: dict[int, ErpAuthError] = {}
        self.workers: dict[int, _Worker] = {}  # by slot number, while their thread runs
        self.stop, self.gate = threading.Event(), threading.Event()
        self.messages: queue.SimpleQueue[_Message] = queue.SimpleQueue()
        self._next, self._lock = 0, threading.Lock()

    def run(self) -> list[CheckOutcome]:
        if not self.scopes:
            return []
        try:
            self._start(self.slots.acquire(len(self.scopes)))
            self._collect()
        except BaseException as exc:
            self._wind_down()
            attach_outcomes(exc, self._in_order())
            raise
        return self._with_auth_errors()

    # The run's thread.

    def _start(self, numbers: list[int]) -> None:
        for number in numbers:
            worker = _Worker(number, self.open_source())
            worker.thread = threading.Thread(
                target=contextvars.copy_context().run,  # the run's log context (execution id) in every line
                args=(self._work, worker),
                name=f"erp-read-{number}",
                daemon=True,  # a thread stuck in a request never keeps the process alive
            )
            self.workers[number] = worker
            worker.thread.start()

    def _collect(self) -> None:
        tick = time.monotonic() + self.tick_seconds
        while self.workers or self._starved():
            if not self.workers:  # every slot was lost (the run's thread stalled past their lease): wait again
                self._start(self.slots.acquire(self._unstarted()))
                continue
            with contextlib.suppress(queue.Empty):
                self._handle(self.messages.get(timeout=max(0.0, tick - time.monotonic())))
            if time.monotonic() >= tick:
                self._maintain()
                tick = time.monotonic() + self.tick_seconds

    def _handle(self, message: _Message) -> None:
        if isinstance(message, _Ended):
            worker = self.workers.pop(message.number)
            if not worker.retire.is_set():
                self.slots.release([message.number])  # at once: another run may be waiting for it
        elif isinstance(message.error, ErpAuthError):
            self.auth_errors[message.index] = message.error
            self._halt()
        else:
            self._halt()
            raise message.error  # a bug in a reading thread fails the run, as it would have read sequentially

    def _maintain(self) -> None:
        """Renew the slots held, retire threads whose slot was lost, top up when slots are free and scopes wait."""
        numbers = sorted(n for n, worker in self.workers.items() if not worker.retire.is_set())
        held = set(self.slots.renew(numbers))
        for number in set(numbers) - held:
            log.warning("erp_slot_lost", slot=number)
            self.workers[number].retire.set()
        wanted = self._unstarted() - len(held)
        if wanted > 0 and not self.stop.is_set():
            self._start(self.slots.claim(wanted))

    def _wind_down(self) -> None:
        """Stop, give the threads a moment, release the slots of those that ended; the others' slots expire."""
        self._halt()
        deadline = time.monotonic() + self.grace_seconds
        for worker in self.workers.values():
            if worker.thread is not None:
                worker.thread.join(max(0.0, deadline - time.monotonic()))
        busy = [n for n, w in self.workers.items() if w.thread is not None and w.thread.is_alive()]
        if busy:
            log.warning("erp_read_stopped_with_requests_in_flight", slots=busy)
        self.slots.release(None, keep=busy)

    def _halt(self) -> None:
        self.stop.set()
        self.gate.set()  # wake the threads waiting for the first page: they see the stop and end
        for worker in self.workers.values():
            worker.source.interrupt()  # no page asked ahead any more (erp/read_ahead.py)

    def _starved(self) -> bool:
        return not self.stop.is_set() and self._unstarted() > 0

    def _unstarted(self) -> int:
        with self._lock:
            return len(self.scopes) - self._next

    def _in_order(self) -> list[CheckOutcome]:
        with self._lock:
            return [self.outcomes[i] for i in sorted(self.outcomes)]

    def _with_auth_errors(self) -> list[CheckOutcome]:
        """Every scope, in order; after wrong credentials, those not read whole are incomplete."""
        if not self.auth_errors:
            if len(self.outcomes) != len(self.scopes):  # never a pass by omission
                raise RuntimeError(f"read {len(self.outcomes)} of {len(self.scopes)} scopes, and no error said why")
            return self._in_order()
        first = self.auth_errors[min(self.auth_errors)]
        for index, scope in enumerate(self.scopes):
            if index in self.auth_errors:
                self.outcomes[index] = scope.incomplete(str(self.auth_errors[index]))
            elif index not in self.outcomes:
                self.outcomes[index] = scope.incomplete(f"not read: {first}")
        return self._in_order()

    # Reading threads: no database here.

    def _work(self, worker: _Worker) -> None:
        # Signals (a soft time limit, SIGTERM) go to the run's thread, which acts on them at once.
        signal.pthread_sigmask(signal.SIG_BLOCK, ASYNC_SIGNALS)
        try:
            while not (self.stop.is_set() or worker.retire.is_set()):
                index = self._take()
                if index is None or not self._read(index, worker.source):
                    return
        finally:
            try:
                worker.source.close()
            finally:
                self.messages.put(_Ended(worker.number))

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= len(self.scopes):
                return None
            self._next += 1
            return self._next - 1

    def _read(self, index: int, source: StockSource) -> bool:
        """Read one scope and report it; False when the thread must end."""
        if index > 0:
            self.gate.wait()  # until the first scope's first page is answered (or the read stops)
        if self.stop.is_set():
            return False
        try:
            outcome = self.read(self.scopes[index], _Guarded(source, self.stop, self.gate if index == 0 else None))
        except Stopped:
            return False
        except BaseException as exc:  # noqa: BLE001 — credentials or a bug: the run's thread decides
            self.stop.set()  # at once, before the gate opens: nobody else asks the ERP in vain
            self.messages.put(_Failed(index, exc))
            return False
        finally:
            if index == 0:
                self.gate.set()
        with self._lock:
            self.outcomes[index] = outcome
        return True
