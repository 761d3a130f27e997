"""Issue 11, item 5: a run reads its warehouses concurrently, within the connection's installation-wide request
slots."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from billiard.exceptions import SoftTimeLimitExceeded
from django.db import connection as db_connection
from django.test import override_settings
from django.utils import timezone

from compliance_monitor.checks import concurrent, defined, registry
from compliance_monitor.checks.base import CheckContext, CheckOutcome, OutcomeStatus, partial_outcomes
from compliance_monitor.checks.models import ClassifyBy, WarehouseRule
from compliance_monitor.checks.warehouse import CHECK_NAME, Rule
from compliance_monitor.erp import slots
from compliance_monitor.erp.flexi import StockRow
from compliance_monitor.erp.models import Connection, RequestSlot
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from tests.erp_connection import ensure_original_reports

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAREHOUSES, ROWS, PAGE, LIMIT = 8, 30, 10, 3  # 3 pages a warehouse, 24 pages a run
CODES = [f"W{n:03d}" for n in range(WAREHOUSES)]


@pytest.fixture
def server() -> Iterator[FlexiServer]:
    erp = FlexiServer(FlexiState(Company.large(WAREHOUSES, ROWS), username="api", password="pw")).start_in_thread()
    with override_settings(CM_ERP_RETRIES=0):
        yield erp
    erp.shutdown()
    erp.server_close()


def connect(server: FlexiServer, *, limit: int = LIMIT) -> Connection:
    """A connection to the server's large company, one rule per warehouse (its home group allowed)."""
    erp = Connection(
        name="big",
        base_url=server.url,
        company="big",
        username="api",
        page_size=PAGE,
        max_concurrent_requests=limit,
        updated_at=timezone.now(),
    )
    erp.password = "pw"
    erp.save()
    for warehouse in server.state.company.warehouses:
        WarehouseRule.objects.create(
            connection=erp, warehouse_code=warehouse.code, warehouse_id=warehouse.id, allowed=[warehouse.home_group]
        )
    ensure_original_reports()
    return erp


def run(erp: Connection) -> list[CheckOutcome]:
    context = CheckContext(uuid.uuid4(), "job", NOW, {"date": "2026-03-02"}, connection=erp)
    return registry.get(CHECK_NAME).run(context)


def one_at_a_time(erp: Connection, server: FlexiServer) -> list[CheckOutcome]:
    """The reference: the same run at a limit of 1 (the server never sees two requests at once); counters reset."""
    limit = erp.max_concurrent_requests
    Connection.objects.filter(pk=erp.pk).update(max_concurrent_requests=1)
    outcomes = run(erp)
    assert server.state.max_in_flight == 1
    Connection.objects.filter(pk=erp.pk).update(max_concurrent_requests=limit)
    server.state.requests = server.state.max_in_flight = 0
    return outcomes


def held_slots(erp: Connection) -> list[int]:
    return sorted(RequestSlot.objects.filter(connection=erp, holder__isnull=False).values_list("number", flat=True))


@pytest.fixture
def erp(db: None, server: FlexiServer) -> Connection:
    return connect(server)


@pytest.fixture
def reference(erp: Connection, server: FlexiServer) -> list[CheckOutcome]:
    return one_at_a_time(erp, server)


def test_a_run_reads_its_warehouses_concurrently_and_the_erp_never_sees_more_than_the_limit_at_once(
    erp: Connection, server: FlexiServer
) -> None:
    server.state.latency_seconds = 0.05

    outcomes = run(erp)

    assert [o.rows_read for o in outcomes] == [ROWS] * WAREHOUSES
    assert server.state.max_in_flight == LIMIT  # concurrent, and never over the limit
    assert server.state.requests == WAREHOUSES * ROWS // PAGE
    assert held_slots(erp) == []  # every slot released


def test_results_are_identical_to_a_read_one_request_at_a_time_and_in_rule_order(
    erp: Connection, server: FlexiServer, reference: list[CheckOutcome]
) -> None:
    Connection.objects.filter(pk=erp.pk).update(max_concurrent_requests=4)
    server.state.latency_seconds = 0.01

    outcomes = run(erp)

    assert server.state.max_in_flight > 1
    assert outcomes == reference
    assert [o.warehouse for o in outcomes] == CODES
    assert sum(len(o.violations) for o in outcomes) > 0  # the comparison covers violations, not only passes


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_stay_within_the_limit_together(server: FlexiServer) -> None:
    erp = connect(server)
    reference = one_at_a_time(erp, server)
    server.state.latency_seconds = 0.05
    start, results, errors = threading.Barrier(2), [], []

    def another_worker() -> None:  # its own database connection, as another worker process would have
        try:
            start.wait()
            results.append(run(Connection.objects.get(pk=erp.pk)))
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=another_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert results == [reference, reference]
    assert server.state.max_in_flight == LIMIT
    assert held_slots(erp) == []


def test_an_incomplete_warehouse_is_still_incomplete_and_the_others_still_count(
    erp: Connection, server: FlexiServer, reference: list[CheckOutcome]
) -> None:
    server.state.data.truncate = {"W003": 15}  # 30 announced, 15 sent
    server.state.latency_seconds = 0.01

    outcomes = run(erp)

    assert outcomes[3].status == OutcomeStatus.ERROR
    assert outcomes[3].error == "W003: the ERP announced 30 rows and sent 15"
    assert outcomes[:3] + outcomes[4:] == reference[:3] + reference[4:]


def test_a_row_count_changed_during_a_concurrent_read_is_read_once_more(
    erp: Connection, server: FlexiServer, reference: list[CheckOutcome]
) -> None:
    server.state.data.count_offsets = [0, 0, 0, 2]  # someone books during the read: the 4th page announces 32
    server.state.latency_seconds = 0.01

    assert run(erp) == reference
    assert server.state.requests > WAREHOUSES * ROWS // PAGE  # a warehouse was read again


def test_wrong_credentials_ask_the_erp_once_and_make_every_warehouse_incomplete(
    erp: Connection, server: FlexiServer
) -> None:
    server.set_faults(status=401)
    server.state.latency_seconds = 0.1  # time enough for other threads to ask, were they not held back

    outcomes = run(erp)

    assert server.state.requests == 1
    assert [o.status for o in outcomes] == [OutcomeStatus.ERROR] * WAREHOUSES
    assert outcomes[0].error.startswith("W000: ERP rejected the credentials")
    assert all(o.error.startswith(f"{o.warehouse}: not read: ERP rejected the credentials") for o in outcomes[1:])


def test_credentials_failing_mid_run_stop_every_thread_from_asking_again(
    erp: Connection, server: FlexiServer, reference: list[CheckOutcome]
) -> None:
    server.state.latency_seconds = 0.02
    asked_before: list[int] = []

    def change_the_password() -> None:
        server.state.wait_until(lambda state: state.requests >= 8)
        with server.state.lock:
            server.state.password = "changed"
            asked_before.append(server.state.requests)

    changer = threading.Thread(target=change_the_password)
    changer.start()
    outcomes = run(erp)
    changer.join()

    assert server.state.requests - asked_before[0] <= LIMIT  # at most one more request from each thread
    failed = [o for o in outcomes if o.error]
    assert failed and all("ERP rejected the credentials" in o.error for o in failed)
    assert all(o == reference[i] for i, o in enumerate(outcomes) if not o.error)
    assert [o.warehouse for o in outcomes] == CODES
    assert held_slots(erp) == []


@pytest.fixture
def soft_time_limit() -> Iterator[threading.Thread]:
    """SIGUSR1 raises SoftTimeLimitExceeded in the main thread, as billiard's soft time limit does in a worker."""

    def raise_soft_time_limit(signum: int, frame: Any) -> None:
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGUSR1, raise_soft_time_limit)
    yield threading.main_thread()
    signal.signal(signal.SIGUSR1, previous)


def test_a_stop_mid_run_keeps_the_warehouses_read_whole_and_releases_the_slots(
    erp: Connection,
    server: FlexiServer,
    reference: list[CheckOutcome],
    soft_time_limit: threading.Thread,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.state.latency_seconds = 0.2  # the whole run would take ~1.7 s
    done: list[str] = []
    stopped: list[tuple[float, int]] = []

    def read_then_stop_after_two(scope: defined.ScopeRead, source: Any) -> CheckOutcome:
        outcome = read_scope(scope, source)
        done.append(scope.outcome.warehouse)
        if len(done) == 2:
            stopped.append((time.monotonic(), server.state.requests))
            signal.pthread_kill(soft_time_limit.ident or 0, signal.SIGUSR1)
        return outcome

    read_scope = defined.read_scope
    monkeypatch.setattr("compliance_monitor.checks.defined.read_scope", read_then_stop_after_two)
    halted: list[int] = []  # requests asked when the run's thread acted on the signal (the stop itself)
    halt = concurrent.ConcurrentRead._halt

    def counted_halt(self: Any) -> None:
        halted.append(server.state.requests)
        halt(self)

    monkeypatch.setattr(concurrent.ConcurrentRead, "_halt", counted_halt)

    with pytest.raises(SoftTimeLimitExceeded) as caught:
        run(erp)

    stopped_at, _ = stopped[0]
    assert time.monotonic() - stopped_at < 0.6  # promptly: the in-flight pages (0.2 s), not the rest of the run
    # After the stop no new scope is handed out and no next page asked: at most two requests per reading thread
    # that were already on their way when the stop came (its read-ahead's next page, and a scope it had just taken
    # between its stop check and the send) — not the rest of the run.
    assert server.state.requests - halted[0] <= 2 * LIMIT
    kept = partial_outcomes(caught.value)
    assert {o.warehouse for o in kept} >= set(done[:2]) and len(kept) < WAREHOUSES
    assert all(o == reference[CODES.index(o.warehouse)] for o in kept)  # every one read whole
    assert [o.warehouse for o in kept] == sorted(o.warehouse for o in kept)
    assert held_slots(erp) == []


def test_a_stop_never_waits_for_a_thread_stuck_in_a_request_and_leaves_its_slot_to_expire(
    erp: Connection, server: FlexiServer, soft_time_limit: threading.Thread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(concurrent, "STOP_GRACE_SECONDS", 0.1)
    server.state.latency_seconds = 3.0

    def stop_when_a_request_is_in_flight() -> None:
        server.state.wait_until(lambda state: state.in_flight >= 1)
        signal.pthread_kill(soft_time_limit.ident or 0, signal.SIGUSR1)

    threading.Thread(target=stop_when_a_request_is_in_flight, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(SoftTimeLimitExceeded) as caught:
        run(erp)

    assert time.monotonic() - started < 1.5  # not the 3 s of the stuck request
    assert partial_outcomes(caught.value) == []
    assert len(held_slots(erp)) == 1  # the stuck thread's slot still counts until it expires; the idle ones are free


def test_a_run_that_finds_every_slot_busy_fails_clearly_without_asking_the_erp(
    erp: Connection, server: FlexiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots.claim(erp, uuid.uuid4(), want=LIMIT, now=timezone.now())  # another run holds them all
    monkeypatch.setattr(slots, "WAIT_SECONDS", 0.6)

    with pytest.raises(slots.NoSlotFreeError, match=r"every request slot of connection 'big' .* stayed busy"):
        run(erp)
    assert server.state.requests == 0


def test_slots_are_renewed_while_the_run_reads(
    erp: Connection, server: FlexiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(concurrent, "TICK_SECONDS", 0.05)
    server.state.latency_seconds = 0.05
    renewed: list[list[int]] = []
    real_renew = slots.renew

    def spy(erp: Connection, holder: uuid.UUID, numbers: Any, *, now: datetime) -> list[int]:
        renewed.append(list(numbers))
        return real_renew(erp, holder, numbers, now=now)

    monkeypatch.setattr(slots, "renew", spy)

    run(erp)

    assert renewed and renewed[0] == [0, 1, 2]


def test_the_demo_company_is_read_in_process_without_claiming_slots(db: None) -> None:
    demo, _ = Connection.objects.update_or_create(
        name="demo-only", defaults={"is_demo": True, "company": "demo", "updated_at": timezone.now()}
    )
    for code, allowed in (("MATERIAL", ["3"]), ("ZBOZI", ["8", "1"]), ("POLOTOVARY", ["7"])):
        WarehouseRule.objects.create(connection=demo, warehouse_code=code, allowed=allowed)

    outcomes = run(demo)

    assert [o.warehouse for o in outcomes] == ["MATERIAL", "POLOTOVARY", "ZBOZI"]  # the rules' order
    assert [o.rows_read for o in outcomes] == [40, 40, 40] and any(o.violations for o in outcomes)
    assert not RequestSlot.objects.filter(connection=demo).exists()


# The reader alone, with stand-in slots and sources.


class ListSource:
    def __init__(self, rows: int = 3) -> None:
        self.rows = rows

    def stock(self, warehouse: str, on: date) -> Iterator[StockRow]:
        for n in range(self.rows):
            yield StockRow(f"{warehouse}-{n}", "", "", "1", "", "", 1.0, "ks")

    def interrupt(self) -> None:
        pass

    def close(self) -> None:
        pass


RULES = [Rule(code, code, "", ClassifyBy.GOODS_GROUP, frozenset({"1"})) for code in ("A", "B", "C", "D")]


def count_rows(rule: Rule, source: ListSource) -> CheckOutcome:
    return CheckOutcome(
        "count", rule.warehouse, rows_read=sum(1 for _ in source.stock(rule.warehouse, date(2026, 3, 2)))
    )


class StandInSlots:
    """``count`` slots; ``lose`` is lost at the first renewal."""

    def __init__(self, count: int = 1, lose: int | None = None) -> None:
        self.count, self.lose = count, lose
        self.acquired: list[list[int]] = []
        self.released: list[list[int] | None] = []
        self.topped_up = threading.Event()  # after a renewal, its lost slots retired
        self._next = 0

    def acquire(self, want: int) -> list[int]:
        numbers = list(range(self._next, self._next + min(want, self.count)))
        self._next += len(numbers)
        self.acquired.append(numbers)
        return numbers

    def claim(self, want: int) -> list[int]:
        self.topped_up.set()
        return []

    def renew(self, numbers: list[int]) -> list[int]:
        return [n for n in numbers if n != self.lose]

    def release(self, numbers: list[int] | None, keep: list[int] = []) -> None:  # noqa: B006
        self.released.append(numbers)


def test_a_thread_whose_slot_was_lost_takes_no_more_warehouses_and_the_run_waits_for_another() -> None:
    stand_in = StandInSlots(count=1, lose=0)

    def read(rule: Rule, source: Any) -> CheckOutcome:
        if rule.warehouse == "A":
            assert stand_in.topped_up.wait(5)  # still reading when its slot is found lost
        return count_rows(rule, source)

    outcomes = concurrent.ConcurrentRead(RULES, read, ListSource, stand_in, tick_seconds=0.01).run()

    assert [o.warehouse for o in outcomes] == ["A", "B", "C", "D"] and all(o.rows_read == 3 for o in outcomes)
    assert stand_in.acquired == [[0], [1]]
    assert [0] not in stand_in.released  # the lost slot is someone else's now


def test_a_bug_in_a_reading_thread_fails_the_run_keeping_what_was_read() -> None:
    def read(rule: Rule, source: Any) -> CheckOutcome:
        if rule.warehouse == "C":
            raise ValueError("a bug")
        return count_rows(rule, source)

    with pytest.raises(ValueError, match="a bug") as caught:
        concurrent.ConcurrentRead(RULES, read, ListSource, StandInSlots(count=1)).run()

    assert [o.warehouse for o in partial_outcomes(caught.value)] == ["A", "B"]


def test_outcomes_come_in_rule_order_whatever_order_the_reads_end_in() -> None:
    last_done = threading.Event()

    def read(rule: Rule, source: Any) -> CheckOutcome:
        outcome = count_rows(rule, source)
        if rule.warehouse == "A":
            assert last_done.wait(5)  # A, the first, ends last
        if rule.warehouse == "D":
            last_done.set()
        return outcome

    outcomes = concurrent.ConcurrentRead(RULES, read, ListSource, StandInSlots(count=2)).run()

    assert [o.warehouse for o in outcomes] == ["A", "B", "C", "D"]
