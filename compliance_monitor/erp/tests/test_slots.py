from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from compliance_monitor.erp import slots
from compliance_monitor.erp.models import Connection, RequestSlot

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def erp(db: None) -> Connection:
    return Connection.objects.create(
        name="slots", base_url="http://erp.invalid", company="c", max_concurrent_requests=3, updated_at=timezone.now()
    )


def holders(count: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(count)]


def held_by(erp: Connection) -> dict[int, uuid.UUID | None]:
    return dict(RequestSlot.objects.filter(connection=erp).values_list("number", "holder"))


def test_claims_of_several_workers_never_exceed_the_limit(erp: Connection) -> None:
    a, b, c, d = holders(4)

    claimed = [slots.claim(erp, holder, want=2, now=T0) for holder in (a, b, c, d)]

    assert claimed == [[0, 1], [2], [], []]
    assert held_by(erp) == {0: a, 1: a, 2: b}


def test_a_claim_takes_no_more_than_it_asks_for_and_no_slot_twice(erp: Connection) -> None:
    a, b = holders(2)

    assert slots.claim(erp, a, want=1, now=T0) == [0]
    assert slots.claim(erp, a, want=1, now=T0) == [1]  # its own held slot is not free to it either
    assert slots.claim(erp, b, want=5, now=T0) == [2]


def test_slot_rows_are_made_once_however_often_they_are_ensured(erp: Connection) -> None:
    slots.ensure_slots(erp, 3)
    slots.ensure_slots(erp, 3)
    RequestSlot.objects.filter(connection=erp, number=1).delete()
    slots.ensure_slots(erp, 3)  # a racing creator finds some rows made and some not: conflicts are ignored

    assert sorted(RequestSlot.objects.filter(connection=erp).values_list("number", flat=True)) == [0, 1, 2]


def test_an_expired_slot_is_reclaimable_by_another_holder(erp: Connection) -> None:
    killed, other = holders(2)
    assert slots.claim(erp, killed, want=3, now=T0) == [0, 1, 2]  # then its worker is killed: no renewal, no release

    assert slots.claim(erp, other, want=3, now=T0 + slots.SLOT_TTL - timedelta(seconds=1)) == []
    assert slots.claim(erp, other, want=3, now=T0 + slots.SLOT_TTL + timedelta(seconds=1)) == [0, 1, 2]
    assert set(held_by(erp).values()) == {other}


def test_a_renewed_slot_outlives_its_first_lease(erp: Connection) -> None:
    reader, other = holders(2)
    slots.claim(erp, reader, want=1, now=T0)

    assert slots.renew(erp, reader, [0], now=T0 + timedelta(seconds=90)) == [0]

    assert slots.claim(erp, other, want=3, now=T0 + slots.SLOT_TTL + timedelta(seconds=1)) == [1, 2]
    assert held_by(erp)[0] == reader


def test_a_renewal_too_late_reports_the_slot_lost_to_its_new_holder(erp: Connection) -> None:
    stalled, other = holders(2)
    slots.claim(erp, stalled, want=1, now=T0)
    late = T0 + slots.SLOT_TTL + timedelta(seconds=1)
    slots.claim(erp, other, want=1, now=late)

    assert slots.renew(erp, stalled, [0], now=late) == []
    assert held_by(erp)[0] == other


def test_only_its_holder_releases_a_slot(erp: Connection) -> None:
    a, b = holders(2)
    slots.claim(erp, a, want=2, now=T0)

    assert slots.release(erp, b) == 0
    assert held_by(erp) == {0: a, 1: a, 2: None}
    assert slots.release(erp, a, [1]) == 1
    assert slots.claim(erp, b, want=3, now=T0) == [1, 2]
    assert slots.release(erp, a, keep=[0]) == 0 and held_by(erp)[0] == a


def test_a_lowered_limit_is_never_exceeded_by_new_claims(erp: Connection) -> None:
    old_run, new_run = holders(2)
    erp.max_concurrent_requests = 4
    erp.save()
    assert slots.claim(erp, old_run, want=4, now=T0) == [0, 1, 2, 3]
    Connection.objects.filter(pk=erp.pk).update(max_concurrent_requests=2)  # lowered while the old run reads

    slots.release(erp, old_run, [0, 3])  # its slots come free one by one
    assert slots.claim(erp, new_run, want=4, now=T0) == [0]  # never 3: at or above the new limit
    slots.release(erp, old_run)
    assert slots.claim(erp, new_run, want=4, now=T0) == [1]
    assert slots.claim(erp, uuid.uuid4(), want=4, now=T0 + slots.SLOT_TTL * 2) == [0, 1]  # nor after expiry


def test_a_raised_limit_adds_slots(erp: Connection) -> None:
    assert slots.claim(erp, uuid.uuid4(), want=9, now=T0) == [0, 1, 2]
    Connection.objects.filter(pk=erp.pk).update(max_concurrent_requests=5)

    assert slots.claim(erp, uuid.uuid4(), want=9, now=T0) == [3, 4]


class FakeTime:
    def __init__(self) -> None:
        self.now = T0
        self.slept: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def test_acquiring_waits_until_a_slot_frees(erp: Connection) -> None:
    busy, waiting = holders(2)
    slots.claim(erp, busy, want=3, now=T0)
    time = FakeTime()

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        if len(time.slept) == 3:
            slots.release(erp, busy, [1])

    assert slots.acquire(erp, waiting, want=3, clock=time.clock, sleep=sleep, poll_seconds=0.5) == [1]
    assert time.slept == [0.5, 0.5, 0.5]


def test_acquiring_gives_up_with_a_clear_error_when_no_slot_frees(erp: Connection) -> None:
    slots.claim(erp, uuid.uuid4(), want=3, now=T0)
    time = FakeTime()

    with pytest.raises(slots.NoSlotFreeError, match=r"every request slot of connection 'slots' \(3, .*busy for 5 s"):
        slots.acquire(erp, uuid.uuid4(), want=1, clock=time.clock, sleep=time.sleep, wait_seconds=5, poll_seconds=2)
    assert time.slept == [2, 2, 1]


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_the_same_moment_over_their_own_database_connections_share_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    erp = Connection.objects.create(
        name="race", base_url="http://erp.invalid", company="c", max_concurrent_requests=3, updated_at=timezone.now()
    )
    slots.ensure_slots(erp, 3)
    start, looked, got, errors = threading.Barrier(8), threading.Barrier(8), {}, []
    real_free_numbers = slots.free_numbers

    def everyone_sees_every_slot_free(erp: Connection, now: datetime) -> list[int]:
        numbers = real_free_numbers(erp, now)
        looked.wait()  # the worst race: all 8 saw all 3 free before anyone's UPDATE
        return numbers

    monkeypatch.setattr(slots, "free_numbers", everyone_sees_every_slot_free)

    def worker(holder: uuid.UUID) -> None:
        try:
            start.wait()
            got[holder] = slots.claim(erp, holder, want=2, now=T0)
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker, args=(holder,)) for holder in holders(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    claimed = [number for numbers in got.values() for number in numbers]
    assert sorted(claimed) == [0, 1, 2]  # each slot once, all of them taken
    assert held_by(erp) == {number: holder for holder, numbers in got.items() for number in numbers}
