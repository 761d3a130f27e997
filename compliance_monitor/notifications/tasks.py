from __future__ import annotations

import structlog
from celery import shared_task
from django.db import transaction
from django.utils import timezone

from compliance_monitor.notifications import digests, sender

log = structlog.get_logger(__name__)


@shared_task(name="compliance_monitor.notifications.tasks.send_deliveries")
def send_deliveries(ids: list[int]) -> int:
    now = timezone.now()
    return sum(sender.send_one(pk, now=now) == "sent" for pk in ids)


@shared_task(name="compliance_monitor.notifications.tasks.send_due_deliveries")
def send_due_deliveries() -> int:
    return sender.send_due(now=timezone.now())


@shared_task(name="compliance_monitor.notifications.tasks.close_digests")
def close_digests() -> int:
    return len(digests.close_due(now=timezone.now()))


def send_after_commit(ids: list[int]) -> None:
    """Deliveries due now should not wait for the periodic sender: ask for them once their rows are committed."""
    if ids:
        transaction.on_commit(lambda: _send_soon(ids))


def _send_soon(ids: list[int]) -> None:
    try:
        send_deliveries.apply_async(args=(ids,), queue="control", retry=False)
    except Exception as exc:  # noqa: BLE001 — the periodic sender will pick them up
        log.warning("delivery_task_not_queued", deliveries=len(ids), error=str(exc))
