"""Reading ahead: the next page is asked for while the rows of this one are judged — still one request at a time.

A paged read alternates waiting for the ERP and working on what it sent. :class:`ReadAhead` moves the asking to a
helper thread, which asks for page k+1 as soon as it has handed over page k. The helper makes its requests one
after another, so a read still has at most **one request in flight** — what a request slot (``erp/slots.py``)
counts — while the time spent converting and judging rows no longer adds to the time between requests.

Closing it (the read stopped, or failed on a row) tells the helper to ask nothing more and waits for the
request it may be in to end, so whoever holds the slot holds it until no request of this read is in flight. An
error the helper meets (the ERP unreachable, wrong credentials, an incomplete read) is raised to the reader in
page order, after the pages before it.
"""

from __future__ import annotations

import contextlib
import contextvars
import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

from compliance_monitor.erp.flexi import ErpIncompleteReadError

T = TypeVar("T")
_END, _WAKE = object(), object()
PUT_POLL_SECONDS = 0.05  # how often a helper blocked on a full hand-over looks whether the reader went away


class ReadAhead(Generic[T]):
    """``pages``, in order, fetched by a helper thread at most ``depth`` pages ahead of the reader.

    :meth:`close` — idempotent, from the reading thread — tells the helper to stop and waits for it; the reader
    closes it when done, and so does the source's own ``close`` (``FlexiClient.close``), so a read abandoned
    mid-way (an exception kept alive in a traceback keeps generators open) never leaves a request in flight.
    :meth:`interrupt` — from any thread, without waiting — tells the helper to ask nothing more; the reader's
    next page is then :class:`ReadInterruptedError`, never a premature end (a read cut short must not look whole).
    """

    def __init__(self, pages: Iterator[T], *, depth: int = 1) -> None:
        self.handover: queue.Queue[object] = queue.Queue(maxsize=depth)
        self.closed, self.ended = threading.Event(), False
        self.helper = threading.Thread(
            target=contextvars.copy_context().run,  # the run's log context (execution id) on the helper's lines
            args=(_fetch, pages, self.handover, self.closed),
            name=f"{threading.current_thread().name}-ahead",
            daemon=True,
        )
        self.helper.start()

    def __iter__(self) -> ReadAhead[T]:
        return self

    def __next__(self) -> T:
        if self.ended:
            raise StopIteration
        item = _WAKE if self.closed.is_set() else self.handover.get()
        if item is _WAKE:
            raise ReadInterruptedError("the read was stopped before its last page")
        if isinstance(item, _Raised):
            self.ended = True
            raise item.error
        if item is _END:
            self.ended = True
            raise StopIteration
        return item  # type: ignore[return-value]

    def interrupt(self) -> None:
        self.closed.set()
        with contextlib.suppress(queue.Full):  # a full hand-over has no reader waiting
            self.handover.put_nowait(_WAKE)  # a reader waiting for a page wakes

    def close(self) -> None:
        self.closed.set()
        _drain(self.handover)
        self.helper.join()  # its request in flight, if any, ends (the client's own timeout bounds it)


class ReadInterruptedError(ErpIncompleteReadError):
    """The read was interrupted (its run is stopping) before its last page."""


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _fetch(pages: Iterator[object], handover: queue.Queue[object], closed: threading.Event) -> None:
    try:
        for page in pages:
            if not _put(handover, page, closed):
                return
            if closed.is_set():
                return
    except BaseException as exc:  # noqa: BLE001 — handed to the reader, who decides
        _put(handover, _Raised(exc), closed)
    else:
        _put(handover, _END, closed)
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()


def _put(handover: queue.Queue[object], item: object, closed: threading.Event) -> bool:
    """Hand ``item`` over; False when the reader went away first."""
    while not closed.is_set():
        try:
            handover.put(item, timeout=PUT_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False


def _drain(handover: queue.Queue[object]) -> None:
    while True:
        try:
            handover.get_nowait()
        except queue.Empty:
            return
