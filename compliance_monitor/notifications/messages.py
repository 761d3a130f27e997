"""The words of a notification: a critical subject starts with ``CRITICAL:``."""

from __future__ import annotations

from django.utils import timezone

from compliance_monitor.alerts.models import Alert, Severity

MAX_OFFENDERS = 20


def render(alert: Alert, reason: str) -> tuple[str, str]:
    severity = alert.get_severity_display()
    prefix = "CRITICAL: " if alert.severity == Severity.CRITICAL else f"[{severity.upper()}] "
    subject = f"{prefix}{alert.title}"
    if reason == "escalation":
        subject = f"{prefix}ESCALATED, not acknowledged: {alert.title}"
    lines = [
        alert.title,
        "",
        f"Severity:   {severity}",
        f"Warehouse:  {alert.warehouse or '-'}",
        f"Violations: {alert.violation_count}",
        f"Found at:   {timezone.localtime(alert.last_seen_at):%Y-%m-%d %H:%M:%S %Z}",
        f"Execution:  {alert.last_execution_id or alert.execution_id or '-'}",
        f"Alert:      #{alert.pk} ({alert.state})",
    ]
    offenders = [
        d.get("product_code", "") + f" ({d.get('quantity', 0):g}{d.get('unit') or 'ks'})"
        for d in alert.violation_details[:MAX_OFFENDERS]
    ]
    if offenders:
        more = alert.violation_count - len(offenders)
        lines += ["", "Offenders: " + ", ".join(offenders) + (f" … and {more} more" if more > 0 else "")]
    if alert.message:
        lines += ["", alert.message]
    return subject, "\n".join(lines)
