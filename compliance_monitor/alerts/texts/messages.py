"""An alert's message in the active language, for the system's own alerts (volume guard, missed run, a job that
disabled itself, performance); what a run or the ERP wrote stays as written."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from compliance_monitor.alerts.models import Alert, AlertType
from compliance_monitor.alerts.texts import facts

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
    return facts.rebuilt(_message, alert) or alert.message


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
