"""The facts an alert's texts are rebuilt from: the company of its connection, the check title its latest run ran
with, that run's status, its job (from the fingerprint). :func:`prime` reads them for a page of alerts in three
queries; without it each alert reads its own when asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.utils.formats import number_format

from compliance_monitor.alerts.models import Alert, AlertType
from compliance_monitor.checks.models import CheckResult
from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs.models import Execution

UNKNOWN = object()


def prime(alerts: Iterable[Alert]) -> list[Alert]:
    """Read the facts the texts of these alerts need in three queries (companies, check titles, run statuses)."""
    alerts = list(alerts)
    names = {a.connection for a in alerts if a.connection}
    titles = dict(Connection.objects.filter(name__in=names).values_list("name", "title")) if names else {}
    for alert in alerts:
        alert._cm_company = titles.get(alert.connection)  # type: ignore[attr-defined]
    compliance = [a for a in alerts if a.type == AlertType.COMPLIANCE_VIOLATION and a.last_execution_id]
    if compliance:
        rows = CheckResult.objects.filter(execution_id__in={a.last_execution_id for a in compliance}).values_list(
            "execution_id", "check_name", "warehouse", "check_title"
        )
        found: dict[tuple[Any, str, str], str] = {(e, c, w): t for e, c, w, t in rows}
        for alert in compliance:
            key = (alert.last_execution_id, alert.check_name, alert.warehouse)
            alert._cm_check_title = found.get(key, UNKNOWN)  # type: ignore[attr-defined]
    failures = [a for a in alerts if a.type == AlertType.JOB_FAILURE and a.last_execution_id]
    if failures:
        statuses: dict[Any, str] = dict(
            Execution.objects.filter(pk__in={a.last_execution_id for a in failures}).values_list("pk", "status")
        )
        for alert in failures:
            alert._cm_status = statuses.get(alert.last_execution_id, UNKNOWN)  # type: ignore[attr-defined]
    return alerts


def company(alert: Alert) -> str:
    """`` (Acme s.r.o.)``, as ``raising.company_suffix`` says it."""
    if not alert.connection:
        return ""
    title = getattr(alert, "_cm_company", UNKNOWN)
    if title is UNKNOWN:
        title = Connection.objects.filter(name=alert.connection).values_list("title", flat=True).first()
        alert._cm_company = title  # type: ignore[attr-defined]
    return f" ({title or alert.connection})"


def check_title(alert: Alert) -> Any:
    """The check definition's title the latest run ran with ("" for the original reports); UNKNOWN when gone."""
    found = getattr(alert, "_cm_check_title", None)
    if found is None:
        found = UNKNOWN
        if alert.last_execution_id:
            found = (
                CheckResult.objects.filter(
                    execution_id=alert.last_execution_id, check_name=alert.check_name, warehouse=alert.warehouse
                )
                .values_list("check_title", flat=True)
                .first()
            )
            found = UNKNOWN if found is None else found
        alert._cm_check_title = found  # type: ignore[attr-defined]
    return found


def status(alert: Alert) -> Any:
    found = getattr(alert, "_cm_status", None)
    if found is None:
        found = UNKNOWN
        if alert.last_execution_id:
            found = Execution.objects.filter(pk=alert.last_execution_id).values_list("status", flat=True).first()
            found = UNKNOWN if found is None else found
        alert._cm_status = found  # type: ignore[attr-defined]
    return found


def job_of(alert: Alert, prefix: str) -> str | None:
    """The job's name, from the fingerprint (it outlives the job row)."""
    return alert.fingerprint[len(prefix) :] if alert.fingerprint.startswith(prefix) else None


def number(value: str | int) -> str:
    return number_format(int(str(value).replace(",", "")), force_grouping=True)


def rebuilt(build: Callable[[Alert], str | None], alert: Alert) -> str | None:
    """``build(alert)``; None when the stored facts are not of a shape it knows."""
    try:
        return build(alert)
    except (ValueError, KeyError, TypeError):
        return None
