"""An alert's texts in the active language, rebuilt from its stored facts when it is shown or sent (issue 15).

``Alert.title`` and ``Alert.message`` keep the English text the alert was raised with (the API, the admin, old
deliveries read it); :func:`title` and :func:`message` say the same in the language active now — the same alert
reads in Czech for one manager and in English for another. They rebuild each known shape from its facts (type,
count, warehouse, check, company, job, the run's status, the result's check title); in English they equal what
``raising.py`` (``performance.py``, ``deadman.py``) stores. A shape they do not know — or whose facts are gone, a
deleted run — falls back to the stored text, so nothing is ever blank.

Data stays as written: a check definition's title, job and warehouse codes, companies, ERP error texts and the
original reports' offender lists (``Z001 (2ks), Z002 (2ks)``).

:func:`prime` reads the facts of a page of alerts in a few queries; without it each alert reads its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from compliance_monitor.alerts.models import Alert, AlertType, EventKind, Severity, State
from compliance_monitor.checks.base import WHOLE_EVIDENCE
from compliance_monitor.checks.models import CheckResult
from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs.models import Execution, Status

UNKNOWN = object()
NUMBER = r"\d[\d,]*"

TYPE_LABELS: dict[str, Promise] = {  # as ``get_type_display()`` said them (English unchanged)
    AlertType.COMPLIANCE_VIOLATION: gettext_lazy("Compliance Violation"),
    AlertType.JOB_FAILURE: gettext_lazy("Job Failure"),
    AlertType.SYSTEM_ERROR: gettext_lazy("System Error"),
    AlertType.PERFORMANCE_ISSUE: gettext_lazy("Performance Issue"),
}
STATE_LABELS: dict[str, Promise] = {  # the state of an alert; the inbox's filter adds "active" and "all"
    State.OPEN: pgettext_lazy("alert state", "open"),
    State.ACKNOWLEDGED: pgettext_lazy("alert state", "acknowledged"),
    State.RESOLVED: pgettext_lazy("alert state", "resolved"),
    "active": pgettext_lazy("alert state", "active"),
    "all": pgettext_lazy("alert state", "all"),
}
EVENT_LABELS: dict[str, Promise] = {  # as ``get_kind_display()`` said them (English unchanged)
    EventKind.RAISED: pgettext_lazy("alert event", "Raised"),
    EventKind.UPDATED: pgettext_lazy("alert event", "Updated"),
    EventKind.SEVERITY_CHANGED: pgettext_lazy("alert event", "Severity Changed"),
    EventKind.ACKNOWLEDGED: pgettext_lazy("alert event", "Acknowledged"),
    EventKind.RESOLVED: pgettext_lazy("alert event", "Resolved"),
    EventKind.AUTO_RESOLVED: pgettext_lazy("alert event", "Auto Resolved"),
    EventKind.ESCALATED: pgettext_lazy("alert event", "Escalated"),
    EventKind.NOTIFIED: pgettext_lazy("alert event", "Notified"),
    EventKind.MUTED: pgettext_lazy("alert event", "Muted"),
}
CHANGE_LABELS: dict[str, Promise] = {  # what a run did to an alert (``run_alerts``)
    "raised": pgettext_lazy("alert change", "raised"),
    "updated": pgettext_lazy("alert change", "updated"),
    "resolved": pgettext_lazy("alert change", "resolved"),
}
SEVERITY_LABELS: dict[str, Promise] = {
    "low": pgettext_lazy("severity", "low"),
    "medium": pgettext_lazy("severity", "medium"),
    "high": pgettext_lazy("severity", "high"),
    "critical": pgettext_lazy("severity", "critical"),
}
REASON_LABELS: dict[str, Promise] = {  # why a delivery was sent: the alert change it tells
    "raised": pgettext_lazy("notification reason", "raised"),
    "severity_changed": pgettext_lazy("notification reason", "severity changed"),
    "escalated": pgettext_lazy("notification reason", "escalated"),
    "escalation": pgettext_lazy("notification reason", "escalation"),
    "digest": pgettext_lazy("notification reason", "digest"),
    "resolved": pgettext_lazy("notification reason", "resolved"),
    "auto_resolved": pgettext_lazy("notification reason", "resolved"),
    "changed": pgettext_lazy("notification reason", "severity changed"),
}
CHANNEL_LABELS: dict[str, Promise] = {
    "email": pgettext_lazy("channel", "e-mail"),
    "in_app": pgettext_lazy("channel", "in the app"),
    "apprise": pgettext_lazy("channel", "Apprise"),
}
ANY = pgettext_lazy("filter", "any")  # a filter's empty choice
SEVERITY_OR_WORSE: dict[str, Promise] = {  # the inbox's severity filter
    "low": gettext_lazy("low or worse"),
    "medium": gettext_lazy("medium or worse"),
    "high": gettext_lazy("high or worse"),
    "critical": gettext_lazy("critical or worse"),
}
DELIVERY_LABELS: dict[str, Promise] = {
    "pending": pgettext_lazy("delivery", "pending"),
    "sending": pgettext_lazy("delivery", "sending"),
    "sent": pgettext_lazy("delivery", "sent"),
    "failed": pgettext_lazy("delivery", "failed"),
    "muted": pgettext_lazy("delivery", "muted"),
}


def label(labels: Mapping[str, Promise], value: Any) -> str:
    """A stored choice value's label in the active language; an unknown value as stored."""
    found = labels.get(str(value))
    return str(found) if found is not None else str(value)


def type_label(value: str) -> str:
    return label(TYPE_LABELS, value)


def state_label(value: str) -> str:
    return label(STATE_LABELS, value)


def event_label(value: str) -> str:
    return label(EVENT_LABELS, value)


def severity_label(value: int | str) -> str:
    name = Severity(value).label if isinstance(value, int) or str(value).isdigit() else str(value)
    return label(SEVERITY_LABELS, name)


# --- the facts -------------------------------------------------------------------------------------------------


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


def _company(alert: Alert) -> str:
    """`` (Acme s.r.o.)``, as ``raising.company_suffix`` says it."""
    if not alert.connection:
        return ""
    title = getattr(alert, "_cm_company", UNKNOWN)
    if title is UNKNOWN:
        title = Connection.objects.filter(name=alert.connection).values_list("title", flat=True).first()
        alert._cm_company = title  # type: ignore[attr-defined]
    return f" ({title or alert.connection})"


def _check_title(alert: Alert) -> Any:
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


def _status(alert: Alert) -> Any:
    found = getattr(alert, "_cm_status", None)
    if found is None:
        found = UNKNOWN
        if alert.last_execution_id:
            found = Execution.objects.filter(pk=alert.last_execution_id).values_list("status", flat=True).first()
            found = UNKNOWN if found is None else found
        alert._cm_status = found  # type: ignore[attr-defined]
    return found


def _job_of(alert: Alert, prefix: str) -> str | None:
    """The job's name, from the fingerprint (it outlives the job row)."""
    return alert.fingerprint[len(prefix) :] if alert.fingerprint.startswith(prefix) else None


def _number(value: str | int) -> str:
    return number_format(int(str(value).replace(",", "")), force_grouping=True)


# --- titles ----------------------------------------------------------------------------------------------------


def title(alert: Alert) -> str:
    """The alert's title in the active language (its stored title for a shape not known here)."""
    return _rebuilt(_title, alert) or alert.title


def _rebuilt(build: Callable[[Alert], str | None], alert: Alert) -> str | None:
    """``build(alert)``; None when the stored facts are not of a shape it knows."""
    try:
        return build(alert)
    except (ValueError, KeyError, TypeError):
        return None


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
    check_title = _check_title(alert)
    if check_title is UNKNOWN:
        return None
    values = {"count": alert.violation_count, "warehouse": alert.warehouse, "company": _company(alert)}
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
    disabled = _job_of(alert, "job_disabled:")
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
    job = _job_of(alert, f"{AlertType.JOB_FAILURE}:")
    status = _status(alert)
    if job is None or status is UNKNOWN:
        return None
    texts = {
        Status.FAILED: _("Job %(job)s Failed"),
        Status.TIMED_OUT: _("Job %(job)s Timed Out"),
        Status.ABANDONED: _("Job %(job)s Abandoned"),
    }
    return texts[status] % {"job": job} if status in texts else None


def _performance_title(alert: Alert) -> str | None:
    job = _job_of(alert, f"{AlertType.PERFORMANCE_ISSUE}:")
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
    job = _job_of(alert, f"{AlertType.SYSTEM_ERROR}:missed:")
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
        return texts[what] % {"count": _number(count)}
    if what.endswith(" rows") and " " not in what[: -len(" rows")]:
        evidence = what[: -len(" rows")]
        text = ngettext("%(count)s %(evidence)s rows", "%(count)s %(evidence)s rows", count)
        return text % {"count": _number(count), "evidence": evidence}
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
        values = {"scope": scope, "rows": rows, "usual": _number(found["usual"])}
        return rows and _("%(scope)s returned %(rows)s, usually about %(usual)s") % values
    return None


# --- messages --------------------------------------------------------------------------------------------------

VOLUME_MESSAGE = re.compile(
    r"(?P<name>.+): the rows read collapsed, so its open alerts are not resolved by this read\. If the new volume "
    r"is real, an administrator accepts it: `(?P<command>manage\.py alerts accept-volume [^`]+)`\.",
    re.DOTALL,
)
MISSED_MESSAGE = re.compile(
    r"Its scheduled run never started: is beat running, and are workers consuming the 'control' and "
    r"'(?P<queue>[^']*)' queues\? \(checked (?P<grace>[\d.e+]+) s after the slot\)"
)
DISABLED_MESSAGE = re.compile(
    r"(?P<reason>.*)\. Last error: (?P<error>.*)\. Once the cause is fixed, enable it with "
    r"`(?P<command>manage\.py jobs enable [^`]+)` \(or in the admin\); that also resets its failure count\.",
    re.DOTALL,
)
PERFORMANCE_MESSAGE = re.compile(
    r"(?P<verb>Running for|Took) (?P<took>.+?); "
    r"(?:no usual duration yet \(fewer than (?P<fewer>\d+) successful runs\)"
    r"|usually done within (?P<p95>.+?) \(p95 of its last (?P<runs>\d+) runs\)), "
    r"(?:no slow limit|slow after (?P<slow>.+?)); its timeout is (?P<timeout>.+?)\. "
    r"Resolves when a run of the job finishes normally again\."
)


def message(alert: Alert) -> str:
    """The alert's message in the active language; what a run or the ERP wrote (the original report's offenders,
    an error) as written; the stored message for a shape not known here."""
    return _rebuilt(_message, alert) or alert.message


def _message(alert: Alert) -> str | None:
    text = alert.message
    if alert.type == AlertType.SYSTEM_ERROR:
        if found := VOLUME_MESSAGE.fullmatch(text):
            return _(
                "%(name)s: the rows read collapsed, so its open alerts are not resolved by this read. If the new "
                "volume is real, an administrator accepts it: `%(command)s`."
            ) % {"name": found["name"], "command": found["command"]}
        if found := MISSED_MESSAGE.fullmatch(text):
            return _(
                "Its scheduled run never started: is beat running, and are workers consuming the 'control' and "
                "'%(queue)s' queues? (checked %(grace)s s after the slot)"
            ) % {"queue": found["queue"], "grace": found["grace"]}
    if alert.type == AlertType.JOB_FAILURE and (found := DISABLED_MESSAGE.fullmatch(text)):
        return _(
            "%(reason)s. Last error: %(error)s. Once the cause is fixed, enable it with `%(command)s` (or in the "
            "admin); that also resets its failure count."
        ) % {"reason": found["reason"], "error": found["error"], "command": found["command"]}
    if alert.type == AlertType.PERFORMANCE_ISSUE and (found := PERFORMANCE_MESSAGE.fullmatch(text)):
        return _performance_message(found)
    return None


def _performance_message(found: re.Match[str]) -> str:
    took = (_("Running for %(took)s") if found["verb"] == "Running for" else _("Took %(took)s")) % {
        "took": found["took"]
    }
    if found["fewer"]:
        usual = _("no usual duration yet (fewer than %(count)s successful runs)") % {"count": found["fewer"]}
    else:
        usual = _("usually done within %(p95)s (p95 of its last %(count)s runs)") % {
            "p95": found["p95"],
            "count": found["runs"],
        }
    slow = _("slow after %(limit)s") % {"limit": found["slow"]} if found["slow"] else _("no slow limit")
    return _(
        "%(took)s; %(usual)s, %(slow)s; its timeout is %(timeout)s. Resolves when a run of the job finishes "
        "normally again."
    ) % {"took": took, "usual": usual, "slow": slow, "timeout": found["timeout"]}


# --- the history -----------------------------------------------------------------------------------------------


def event_text(kind: str, detail: dict[str, Any]) -> str:
    """An event's details as a sentence in the active language ("" for none)."""
    detail = {key: value for key, value in (detail or {}).items() if value not in (None, "", [])}
    if not detail:
        return ""
    run = detail.get("execution")
    if kind == EventKind.RAISED and run:
        text = _("Run %(run)s found it.") % {"run": run}
        if detail.get("reopens"):
            text += " " + _("It recurs after alert %(alert)s.") % {"alert": detail["reopens"]}
        return text
    if kind == EventKind.RAISED and "missed_slot" in detail:
        return _("The run due at %(slot)s never started.") % {"slot": detail["missed_slot"]}
    if kind == EventKind.UPDATED and run:
        count = detail.get("violation_count")
        if not count:
            return _("Run %(run)s found it again.") % {"run": run}
        return ngettext(
            "Run %(run)s found it again, with %(count)s violation.",
            "Run %(run)s found it again, with %(count)s violations.",
            int(count),
        ) % {"run": run, "count": count}
    if kind == EventKind.AUTO_RESOLVED and run:
        return _("Run %(run)s no longer found it.") % {"run": run}
    if kind == EventKind.SEVERITY_CHANGED and "from" in detail and "to" in detail:
        values = {"old": severity_label(detail["from"]), "new": severity_label(detail["to"])}
        if int(detail["to"]) > int(detail["from"]):
            return _("The severity rose from %(old)s to %(new)s.") % values
        return _("The severity fell from %(old)s to %(new)s.") % values
    if kind == EventKind.RESOLVED and "notes" in detail:
        return _("notes: %(notes)s") % {"notes": detail["notes"]}
    if kind == EventKind.ESCALATED and "escalation" in detail:
        return _("Escalation number %(count)s.") % {"count": detail["escalation"]}
    if kind == EventKind.MUTED and "window" in detail:
        return _("Held back by maintenance window %(window)s until %(until)s (%(reason)s).") % {
            "window": detail["window"],
            "until": detail.get("until", "–"),
            "reason": label(REASON_LABELS, detail.get("reason", "")),
        }
    if kind == EventKind.NOTIFIED and "channel" in detail:
        values = {
            "channel": label(CHANNEL_LABELS, detail["channel"]),
            "recipient": detail.get("recipient", "–"),
            "reason": label(REASON_LABELS, detail.get("reason", "")),
        }
        text = _("Sent by %(channel)s to %(recipient)s (%(reason)s).") % values
        if detail.get("digest"):
            text += " " + _("In digest %(digest)s.") % {"digest": detail["digest"]}
        return text
    return pairs(detail)


DETAIL_LABELS: dict[str, Promise] = {
    "execution": pgettext_lazy("alert detail", "execution"),
    "reopens": pgettext_lazy("alert detail", "reopens"),
    "violation_count": pgettext_lazy("alert detail", "violation count"),
    "from": pgettext_lazy("alert detail", "from"),
    "to": pgettext_lazy("alert detail", "to"),
    "notes": pgettext_lazy("alert detail", "notes"),
    "escalation": pgettext_lazy("alert detail", "escalation"),
    "missed_slot": pgettext_lazy("alert detail", "missed slot"),
    "window": pgettext_lazy("alert detail", "window"),
    "until": pgettext_lazy("alert detail", "until"),
    "reason": pgettext_lazy("alert detail", "reason"),
    "channel": pgettext_lazy("alert detail", "channel"),
    "recipient": pgettext_lazy("alert detail", "recipient"),
    "digest": pgettext_lazy("alert detail", "digest"),
}


def pairs(detail: dict[str, Any]) -> str:
    """Details of a shape not known here: ``key: value`` pairs (known keys named in the active language)."""
    return " · ".join(
        f"{label(DETAIL_LABELS, key) if key in DETAIL_LABELS else key.replace('_', ' ')}: {value}"
        for key, value in detail.items()
        if value not in (None, "", [])
    )


def change_label(value: str) -> str:
    return label(CHANGE_LABELS, value)


def actor_label(value: str) -> str:
    """Who changed an alert: a user's name as written, the service itself (``changes.SYSTEM``) translated."""
    return pgettext("actor", "system") if value == "system" else value
