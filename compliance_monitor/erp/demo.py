"""The demo company's bookings: its scenario action books stock, and its change log is what was booked.

The demo company is computed, not stored (erp/synthetic.py); what a user books into it is stored here, as
:class:`~compliance_monitor.erp.models.DemoBooking` rows, so every process (web, workers) sees the same stock
and the same change log (erp/bookings.py), read in-process through the Flexi-format code (erp/sources.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import structlog
from django.db import IntegrityError, transaction

from compliance_monitor.erp import bookings, synthetic
from compliance_monitor.erp.models import DemoBooking

log = structlog.get_logger(__name__)


def change_log() -> bookings.ChangeLog:
    return bookings.ChangeLog([bookings.from_data(row.data) for row in DemoBooking.objects.order_by("number")])


def book(warehouse: str, lines: Iterable[tuple[str, float]], *, user: str, now: datetime) -> bookings.Booking:
    """Book ``lines`` (product code, quantity) into a demo warehouse; BookingError names a wrong field."""
    wanted = list(lines)
    for attempt in (1, 2, 3):
        try:
            with transaction.atomic():
                booking = change_log().book(synthetic.Company.demo(), warehouse, wanted, user=user, now=now)
                DemoBooking.objects.create(number=booking.id, data=bookings.to_data(booking), created_at=now)
        except IntegrityError:  # another booking took the number: number again
            if attempt == 3:
                raise
            continue
        log.info("demo_booked", document=booking.code, warehouse=warehouse, lines=len(wanted), version=booking.version)
        return booking
    raise AssertionError("unreachable")  # pragma: no cover
