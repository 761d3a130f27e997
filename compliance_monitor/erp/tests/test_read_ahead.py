"""Reading ahead: the next page is asked for while the reader works, one request at a time, stopped on close."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import pytest

from compliance_monitor.erp.client import ErpConfig, FlexiClient
from compliance_monitor.erp.flexi import ErpAuthError
from compliance_monitor.erp.read_ahead import ReadAhead, ReadInterruptedError
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.erp.tests.conftest import PASSWORD

WAIT = 5.0  # seconds: an upper bound for events that come within milliseconds


class Pages:
    """A paged read whose requests can be watched and held."""

    def __init__(self, count: int, *, fail_after: int | None = None) -> None:
        self.count, self.fail_after = count, fail_after
        self.asked: list[int] = []
        self.in_flight = self.max_in_flight = 0
        self.asking = {n: threading.Event() for n in range(count + 1)}
        self.answer = {n: threading.Event() for n in range(count + 1)}
        self.lock = threading.Lock()

    def hold_from(self, number: int) -> None:
        for n in range(number):
            self.answer[n].set()

    def __iter__(self) -> Iterator[list[int]]:
        for n in range(self.count):
            with self.lock:
                self.asked.append(n)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.asking[n].set()
            assert self.answer[n].wait(WAIT)
            with self.lock:
                self.in_flight -= 1
            if self.fail_after is not None and n >= self.fail_after:
                raise ErpAuthError("wrong user name or password")
            yield [n * 10 + i for i in range(3)]


def test_every_page_comes_in_order_and_the_read_ends() -> None:
    pages = Pages(5)
    pages.hold_from(5)

    assert list(ReadAhead(iter(pages))) == [[n * 10 + i for i in range(3)] for n in range(5)]
    assert pages.max_in_flight == 1


def test_the_next_page_is_asked_for_while_the_reader_still_works_on_this_one() -> None:
    pages = Pages(3)
    pages.hold_from(3)
    reader = ReadAhead(iter(pages))

    assert next(reader) == [0, 1, 2]
    assert pages.asking[1].wait(WAIT), "page 1 was not asked for while page 0 was being read"
    assert list(reader) == [[10, 11, 12], [20, 21, 22]]


def test_an_error_comes_after_the_pages_before_it() -> None:
    pages = Pages(4, fail_after=2)
    pages.hold_from(4)
    reader = ReadAhead(iter(pages))

    assert [next(reader), next(reader)] == [[0, 1, 2], [10, 11, 12]]
    with pytest.raises(ErpAuthError, match="wrong user name"):
        next(reader)
    assert pages.asked == [0, 1, 2]


def test_closing_waits_for_the_request_in_flight_and_asks_for_nothing_more() -> None:
    pages = Pages(5)
    pages.hold_from(1)  # page 1's request hangs until released
    reader = ReadAhead(iter(pages))
    assert next(reader) == [0, 1, 2]
    assert pages.asking[1].wait(WAIT)

    closing = threading.Thread(target=reader.close)
    closing.start()
    closing.join(0.3)
    assert closing.is_alive(), "close returned while a request of the read was still in flight"
    pages.answer[1].set()
    closing.join(WAIT)

    assert not closing.is_alive()
    assert pages.in_flight == 0 and pages.asked == [0, 1]


def test_a_reader_that_fails_on_a_row_stops_the_helper() -> None:
    pages = Pages(5)
    pages.hold_from(5)

    reader = ReadAhead(iter(pages))

    with pytest.raises(ValueError, match="cannot judge"):
        for page in reader:
            if page[0] == 10:
                raise ValueError("a row the check cannot judge")
    reader.close()

    assert len(pages.asked) <= 3  # page 1 read, at most one more asked ahead, and then nothing
    assert pages.in_flight == 0 and not reader.helper.is_alive()


def test_a_client_closed_mid_read_leaves_no_request_of_it_in_flight(flexi: FlexiServer) -> None:
    flexi.state.latency_seconds = 0.3
    config = ErpConfig(flexi.url, "demo", "api", PASSWORD, page_size=7, timeout_seconds=5)
    client = FlexiClient(config)
    rows = client.stock("MATERIAL", date(2026, 1, 15))
    assert next(rows).product_code  # page 1 answered; page 2 is asked for ahead
    assert flexi.state.wait_until(lambda state: state.in_flight == 1, timeout=WAIT)

    client.close()  # the read is abandoned, its generator never closed (as a traceback would keep it)

    # The server's handler counts the request done just after its last byte left (microseconds, but on another
    # thread): allow it 0.1 s — far less than the 0.3 s a request left running would still take.
    assert flexi.state.wait_until(lambda state: state.in_flight == 0, timeout=0.1)
    assert flexi.state.requests == 2


def test_an_interrupted_read_ends_in_an_error_never_in_a_premature_end() -> None:
    pages = Pages(5)
    pages.hold_from(1)
    reader = ReadAhead(iter(pages))
    assert next(reader) == [0, 1, 2]
    assert pages.asking[1].wait(WAIT)
    outcome: list[object] = []

    def wait_for_the_next_page() -> None:
        try:
            outcome.append(next(reader))
        except (StopIteration, ReadInterruptedError) as exc:
            outcome.append(type(exc))

    waiting = threading.Thread(target=wait_for_the_next_page)
    waiting.start()
    reader.interrupt()  # from another thread, as a stopping run does
    waiting.join(WAIT)
    pages.answer[1].set()
    reader.close()

    assert outcome == [ReadInterruptedError]  # a read cut short never looks whole
    assert pages.asked == [0, 1]
