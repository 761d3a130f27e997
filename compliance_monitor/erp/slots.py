"""Request slots: at most ``connection.max_concurrent_requests`` requests to one ERP at once, installation-wide.

A connection's slots are its :class:`RequestSlot` rows numbered ``0 … limit-1``. A run makes a request only while it
holds a slot for the thread making it. A slot is claimed with one conditional ``UPDATE … WHERE holder IS NULL OR
expires_at < now`` checked by its row count — the job lease's pattern (``jobs/lifecycle.claim``) — so the limit holds
across every run, worker process and machine sharing the database, on SQLite and PostgreSQL alike, with no lock held
across a read. A holder renews its slots while it reads and releases them when done; a killed worker's slots come
free when their lease runs out (:data:`SLOT_TTL`). Rows numbered at or above the limit are never claimed, so a
lowered limit holds as soon as the slots above it are released (or expire); a raised one adds rows on the next claim.

Every function takes the time as ``now`` (or a ``clock``): nothing here reads the wall clock by itself.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import structlog
from django.db.models import Q
from django.utils import timezone

from compliance_monitor.erp.flexi import ErpError
from compliance_monitor.erp.models import Connection, RequestSlot

log = structlog.get_logger(__name__)
SLOT_TTL = timedelta(minutes=2)  # a held slot's lease; its holder renews it well before (checks/concurrent.py)
WAIT_SECONDS = 300.0  # how long a run waits for a first slot: over two leases, so a killed worker's slots come free
POLL_SECONDS = 0.5


class NoSlotFreeError(ErpError):
    """Every request slot of the connection stayed busy for the whole wait: other runs are reading its ERP."""


def _free(now: datetime) -> Q:
    return Q(holder__isnull=True) | Q(expires_at__isnull=True) | Q(expires_at__lt=now)


def current_limit(connection: Connection) -> int:
    """The limit as stored now (an administrator may change it while a run reads)."""
    limit = Connection.objects.filter(pk=connection.pk).values_list("max_concurrent_requests", flat=True).first()
    return max(1, limit if limit is not None else connection.max_concurrent_requests)


def ensure_slots(connection: Connection, limit: int) -> None:
    """Rows ``0 … limit-1`` exist afterwards; racing creators are harmless (the unique constraint, conflicts
    ignored)."""
    existing = set(RequestSlot.objects.filter(connection=connection, number__lt=limit).values_list("number", flat=True))
    missing = [RequestSlot(connection=connection, number=n) for n in range(limit) if n not in existing]
    if missing:
        RequestSlot.objects.bulk_create(missing, ignore_conflicts=True)


def free_numbers(connection: Connection, now: datetime) -> list[int]:
    """The slots that look free now — candidates only: another claimer may take one before our UPDATE does."""
    limit = current_limit(connection)
    ensure_slots(connection, limit)
    free = RequestSlot.objects.filter(_free(now), connection=connection, number__lt=limit)
    return list(free.order_by("number").values_list("number", flat=True))


def claim(connection: Connection, holder: uuid.UUID, *, want: int, now: datetime) -> list[int]:
    """Take up to ``want`` free slots for ``holder`` (none: every slot is busy); returns their numbers.

    Each slot is taken by its own conditional UPDATE: of two claimers racing for one slot, one updates the row and
    the other sees a row count of 0 and tries the next.
    """
    taken: list[int] = []
    for number in free_numbers(connection, now):
        if len(taken) >= want:
            break
        won = RequestSlot.objects.filter(_free(now), connection=connection, number=number).update(
            holder=holder, expires_at=now + SLOT_TTL
        )
        if won:
            taken.append(number)
    return taken


def renew(connection: Connection, holder: uuid.UUID, numbers: Iterable[int], *, now: datetime) -> list[int]:
    """Extend the lease of ``holder``'s slots; returns the numbers still held (a slot that expired and was taken
    by another holder is lost)."""
    wanted = list(numbers)
    held = RequestSlot.objects.filter(connection=connection, holder=holder, number__in=wanted)
    held.update(expires_at=now + SLOT_TTL)
    return sorted(held.values_list("number", flat=True))


def release(
    connection: Connection, holder: uuid.UUID, numbers: Iterable[int] | None = None, *, keep: Iterable[int] = ()
) -> int:
    """Free ``holder``'s slots (``numbers``, or all of them but ``keep``); another holder's are never touched."""
    held = RequestSlot.objects.filter(connection=connection, holder=holder).exclude(number__in=list(keep))
    if numbers is not None:
        held = held.filter(number__in=list(numbers))
    return held.update(holder=None, expires_at=None)


def acquire(
    connection: Connection,
    holder: uuid.UUID,
    *,
    want: int,
    clock: Callable[[], datetime] = timezone.now,
    sleep: Callable[[float], None] = time.sleep,
    wait_seconds: float = WAIT_SECONDS,
    poll_seconds: float = POLL_SECONDS,
) -> list[int]:
    """Up to ``want`` slots, waiting (at most ``wait_seconds``) until at least one is free."""
    started = clock()
    while True:
        taken = claim(connection, holder, want=want, now=clock())
        if taken:
            return taken
        waited = (clock() - started).total_seconds()
        if waited >= wait_seconds:
            raise NoSlotFreeError(
                f"every request slot of connection {connection.name!r} ({current_limit(connection)}, its maximum "
                f"concurrent requests) stayed busy for {waited:.0f} s: other runs are reading this ERP; "
                "try again later, spread the jobs' schedules, or raise the connection's maximum"
            )
        log.debug("erp_slot_wait", connection=connection.name, waited=round(waited, 1))
        sleep(min(poll_seconds, wait_seconds - waited))
