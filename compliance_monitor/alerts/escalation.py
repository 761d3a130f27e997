"""Escalation: critical alerts nobody acknowledged within 2 h are escalated, again every hour until handled."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from compliance_monitor.alerts.models import Alert, AlertEvent, EventKind, Severity, State
from compliance_monitor.notifications import outbox

log = structlog.get_logger(__name__)


def escalate_due(*, now: datetime) -> int:
    after = timedelta(seconds=settings.CM_ESCALATE_AFTER_SECONDS)
    repeat = timedelta(seconds=settings.CM_ESCALATION_REPEAT_SECONDS)
    due = Q(escalated_at__isnull=True) | Q(escalated_at__lte=now - repeat)
    candidates = Alert.objects.filter(due, severity=Severity.CRITICAL, state=State.OPEN, raised_at__lte=now - after)
    return sum(_escalate(pk, due, now) for pk in candidates.values_list("pk", flat=True))


def _escalate(alert_id: int, due: Q, now: datetime) -> bool:
    with transaction.atomic():
        # Claimed by a conditional UPDATE: two sweepers never escalate the same alert twice.
        claimed = Alert.objects.filter(due, pk=alert_id, state=State.OPEN).update(
            escalated_at=now, escalation_count=F("escalation_count") + 1
        )
        if not claimed:
            return False
        alert = Alert.objects.get(pk=alert_id)
        AlertEvent.objects.create(
            alert=alert, kind=EventKind.ESCALATED, at=now, by="system", detail={"escalation": alert.escalation_count}
        )
        outbox.enqueue(alert, outbox.ESCALATION, now=now)
    log.warning("alert_escalated", alert=alert_id, escalation=alert.escalation_count)
    return True
