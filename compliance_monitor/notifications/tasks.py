from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from compliance_monitor.notifications import sender


@shared_task(name="compliance_monitor.notifications.tasks.send_deliveries")
def send_deliveries(ids: list[int]) -> int:
    now = timezone.now()
    return sum(sender.send_one(pk, now=now) == "sent" for pk in ids)


@shared_task(name="compliance_monitor.notifications.tasks.send_due_deliveries")
def send_due_deliveries() -> int:
    return sender.send_due(now=timezone.now())
