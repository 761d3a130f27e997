"""Accepting a scope's new volume: the suspect read becomes the baseline, and what it held back resolves."""

from __future__ import annotations

from datetime import datetime

import structlog
from django.db import transaction

from compliance_monitor.alerts import services
from compliance_monitor.alerts.models import Alert, State
from compliance_monitor.alerts.raising import compliance_fingerprint, volume_fingerprint
from compliance_monitor.checks import volume
from compliance_monitor.checks.models import CheckResult, ResultStatus

log = structlog.get_logger(__name__)
NothingToAcceptError = volume.NothingToAcceptError


def accept_volume(connection: str, check: str, warehouse: str, *, by: str, now: datetime) -> CheckResult:
    """Record who accepted the newest suspect read of a scope; resolve its volume alert, and — when that
    read was clean — the alert it kept open. Raises :class:`NothingToAcceptError` when none waits."""
    with transaction.atomic():
        result = volume.accept(connection, check, warehouse, by=by, now=now)
        notes = f"{by} accepted the volume of run {result.execution_id}: {result.volume_note}"
        held_back = [volume_fingerprint(connection, check, warehouse)]
        if result.status == ResultStatus.PASSED:
            held_back.append(compliance_fingerprint(connection, check, warehouse))
        for alert in Alert.objects.filter(fingerprint__in=held_back).exclude(state=State.RESOLVED):
            services.resolve(alert, by=by, notes=notes, now=now)
    log.info("volume_accepted", connection=connection, check=check, warehouse=warehouse, by=by, rows=result.rows_read)
    return result


def is_volume_alert(alert: Alert) -> bool:
    return alert.fingerprint == volume_fingerprint(alert.connection, alert.check_name, alert.warehouse)


def accept_alert(alert: Alert, *, by: str, now: datetime) -> CheckResult:
    """:func:`accept_volume` for the scope of a volume-guard alert (the dashboard's and the API's button)."""
    if not is_volume_alert(alert):
        raise NothingToAcceptError(f"alert {alert.pk} is not a volume-guard alert: there is no volume to accept")
    return accept_volume(alert.connection, alert.check_name, alert.warehouse, by=by, now=now)
