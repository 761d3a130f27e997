"""An alert's title in the active language, rebuilt from its facts by the alert's kind; a volume-guard note too."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from compliance_monitor.alerts.models import Alert, AlertType
from compliance_monitor.alerts.texts import facts
from compliance_monitor.checks.base import WHOLE_EVIDENCE
from compliance_monitor.jobs.models import Status

NUMBER = r"\d[\d,]*"


def title(alert: Alert) -> str:
    """The alert's title in the active language (its stored title for a shape not known here)."""
    return facts.rebuilt(_title, alert) or alert.title


def _title(alert: Alert) -> str | None:
    if alert.type == AlertType.COMPLIANCE_VIOLATION:
        return _compliance_title(alert)
    if alert.type == AlertType.JOB_FAILURE:
        return _failure_title(alert)
    if alert.type == AlertType.PERFORMANCE_ISSUE:
        return _performance_title(alert)
    if alert.type == AlertType.SYSTEM_ERROR:
        return _missed_title(alert) or _volume_title(alert)
    return None


def _compliance_title(alert: Alert) -> str | None:
    check_title = facts.check_title(alert)
    if check_title is facts.UNKNOWN:
        return None
    values = {"count": alert.violation_count, "warehouse": alert.warehouse, "company": facts.company(alert)}
    if not check_title:  # the original warehouse reports
        return (
            ngettext(
                "%(count)s misplaced product in warehouse %(warehouse)s%(company)s",
                "%(count)s misplaced products in warehouse %(warehouse)s%(company)s",
                alert.violation_count,
            )
            % values
        )
    values["title"] = check_title
    if alert.warehouse == WHOLE_EVIDENCE:
        return (
            ngettext(
                "%(title)s: %(count)s finding%(company)s",
                "%(title)s: %(count)s findings%(company)s",
                alert.violation_count,
            )
            % values
        )
    return (
        ngettext(
            "%(title)s: %(count)s finding in %(warehouse)s%(company)s",
            "%(title)s: %(count)s findings in %(warehouse)s%(company)s",
            alert.violation_count,
        )
        % values
    )


def _failure_title(alert: Alert) -> str | None:
    disabled = facts.job_of(alert, "job_disabled:")
    if disabled is not None:
        found = re.fullmatch(
            rf"Job {re.escape(disabled)} disabled itself after (?P<n>\d+) consecutive failures", alert.title
        )
        if found is None:
            return None
        count = int(found["n"])
        return ngettext(
            "Job %(job)s disabled itself after %(count)s consecutive failure",
            "Job %(job)s disabled itself after %(count)s consecutive failures",
            count,
        ) % {"job": disabled, "count": count}
    job = facts.job_of(alert, f"{AlertType.JOB_FAILURE}:")
    status = facts.status(alert)
    if job is None or status is facts.UNKNOWN:
        return None
    texts = {
        Status.FAILED: _("Job %(job)s Failed"),
        Status.TIMED_OUT: _("Job %(job)s Timed Out"),
        Status.ABANDONED: _("Job %(job)s Abandoned"),
    }
    return texts[status] % {"job": job} if status in texts else None


def _performance_title(alert: Alert) -> str | None:
    job = facts.job_of(alert, f"{AlertType.PERFORMANCE_ISSUE}:")
    if job is None:
        return None
    name = re.escape(job)
    if found := re.fullmatch(rf"Job {name} ran slower than usual: (?P<took>.+)", alert.title):
        return _("Job %(job)s ran slower than usual: %(took)s") % {"job": job, "took": found["took"]}
    if found := re.fullmatch(
        rf"Job {name} is near its timeout: running for (?P<took>.+) of (?P<limit>.+)", alert.title
    ):
        return _("Job %(job)s is near its timeout: running for %(took)s of %(limit)s") % {
            "job": job,
            "took": found["took"],
            "limit": found["limit"],
        }
    if found := re.fullmatch(rf"Job {name} is running slower than usual: (?P<took>.+) so far", alert.title):
        return _("Job %(job)s is running slower than usual: %(took)s so far") % {"job": job, "took": found["took"]}
    return None


def _missed_title(alert: Alert) -> str | None:
    job = facts.job_of(alert, f"{AlertType.SYSTEM_ERROR}:missed:")
    if job is None:
        return None
    found = re.fullmatch(rf"Job {re.escape(job)} did not run at (?P<slot>[\d-]+ [\d:]+) UTC", alert.title)
    if found is None:
        return None
    return _("Job %(job)s did not run at %(slot)s UTC") % {"job": job, "slot": found["slot"]}


def _rows(count: int, what: str) -> str | None:
    """``5 stock rows``: what the volume guard counted (``erp.reads.rows_label``), with the count."""
    texts = {
        "rows": ngettext("%(count)s rows", "%(count)s rows", count),
        "stock rows": ngettext("%(count)s stock rows", "%(count)s stock rows", count),
        "stock cards": ngettext("%(count)s stock cards", "%(count)s stock cards", count),
        "product cards": ngettext("%(count)s product cards", "%(count)s product cards", count),
    }
    if what in texts:
        return texts[what] % {"count": facts.number(count)}
    if what.endswith(" rows") and " " not in what[: -len(" rows")]:
        evidence = what[: -len(" rows")]
        text = ngettext("%(count)s %(evidence)s rows", "%(count)s %(evidence)s rows", count)
        return text % {"count": facts.number(count), "evidence": evidence}
    return None


def _volume_title(alert: Alert) -> str | None:
    """The volume guard's note the alert was raised with."""
    if alert.fingerprint != f"volume:{alert.connection}:{alert.check_name}:{alert.warehouse}":
        return None
    return _volume_note(alert.title, alert.warehouse)


def volume_note(note: str, scope: str) -> str:
    """A result's volume-guard note (``checks.volume.judge``) in the active language; as written if not known."""
    try:
        return _volume_note(note, scope) or note
    except (ValueError, KeyError, TypeError):
        return note


def _volume_note(note: str, scope: str) -> str | None:
    name = re.escape(scope)
    if found := re.fullmatch(rf"{name} returned 0 (?P<what>.+) on its first read", note):
        rows = _rows(0, found["what"])
        return rows and _("%(scope)s returned %(rows)s on its first read") % {"scope": scope, "rows": rows}
    if found := re.fullmatch(rf"{name} returned (?P<n>{NUMBER}) (?P<what>.+), usually about (?P<usual>{NUMBER})", note):
        rows = _rows(int(found["n"].replace(",", "")), found["what"])
        values = {"scope": scope, "rows": rows, "usual": facts.number(found["usual"])}
        return rows and _("%(scope)s returned %(rows)s, usually about %(usual)s") % values
    return None
