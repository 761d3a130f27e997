"""The alerts one run raised, updated or resolved, read from the history its review wrote.

The alert rows themselves cannot say it: a later run moves ``last_execution`` on, and an auto-resolved
alert keeps the run that raised it. Every raised, updated and auto-resolved event names its run
(``detail["execution"]``), and is written in the review's transaction — so once the run's
``alerts_reviewed_at`` is set, this list is complete.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from compliance_monitor.alerts.models import Alert, AlertEvent, EventKind

CHANGES = {EventKind.RAISED: "raised", EventKind.UPDATED: "updated", EventKind.AUTO_RESOLVED: "resolved"}


@dataclass(frozen=True)
class RunAlert:
    alert: Alert
    change: str  # raised | updated | resolved


def of_run(execution_id: uuid.UUID) -> list[RunAlert]:
    """One line per alert the run changed, most severe first."""
    events = (
        AlertEvent.objects.filter(detail__execution=str(execution_id), kind__in=list(CHANGES))
        .select_related("alert")
        .defer("alert__violation_details", "detail")
        .order_by("-alert__severity", "alert_id", "pk")
    )
    changed: dict[int, RunAlert] = {}
    for event in events:
        changed.setdefault(event.alert_id, RunAlert(event.alert, CHANGES[EventKind(event.kind)]))
    return list(changed.values())
