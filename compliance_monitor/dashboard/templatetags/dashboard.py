"""Template helpers: times, durations and badges that carry their meaning in text, not only in colour.

Their words follow the active language; dates and numbers too (Czech: ``6. 12. 2026 14:05``, ``12,5 %``), while
English keeps the forms it always had.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from django import template
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import get_language, gettext, ngettext_lazy, pgettext_lazy

from compliance_monitor.alerts.models import Severity
from compliance_monitor.dashboard.charts import seconds_text

register = template.Library()

STATUS_SIGNS = {
    "queued": "…",
    "running": "▶",
    "succeeded": "✓",
    "failed": "✗",
    "timed_out": "⏱",
    "skipped": "↷",
    "abandoned": "⚠",
    "cancelled": "■",
    "passed": "✓",
    "violated": "!",
    "error": "✗",
}
# The words beside the signs (a run's status, a check result's); the stored values stay the CSS classes.
STATUS_WORDS: dict[str, Promise] = {
    "queued": pgettext_lazy("status", "queued"),
    "running": pgettext_lazy("status", "running"),
    "succeeded": pgettext_lazy("status", "succeeded"),
    "failed": pgettext_lazy("status", "failed"),
    "timed_out": pgettext_lazy("status", "timed out"),
    "skipped": pgettext_lazy("status", "skipped"),
    "abandoned": pgettext_lazy("status", "abandoned"),
    "cancelled": pgettext_lazy("status", "cancelled"),
    "passed": pgettext_lazy("status", "passed"),
    "violated": pgettext_lazy("status", "violated"),
    "error": pgettext_lazy("status", "error"),
}
SEVERITY_SIGNS = {"critical": "‼", "high": "!", "medium": "•", "low": "·"}
SEVERITY_WORDS: dict[str, Promise] = {
    "critical": pgettext_lazy("severity", "critical"),
    "high": pgettext_lazy("severity", "high"),
    "medium": pgettext_lazy("severity", "medium"),
    "low": pgettext_lazy("severity", "low"),
}

# "2 hours ago", "in 3 minutes": Django's timesince picks the unit, these say it (Czech declines the number's noun
# differently after "před" and "za", so the whole phrase is one message).
AGO = {
    "year": ngettext_lazy("%(num)d year ago", "%(num)d years ago", "num"),
    "month": ngettext_lazy("%(num)d month ago", "%(num)d months ago", "num"),
    "week": ngettext_lazy("%(num)d week ago", "%(num)d weeks ago", "num"),
    "day": ngettext_lazy("%(num)d day ago", "%(num)d days ago", "num"),
    "hour": ngettext_lazy("%(num)d hour ago", "%(num)d hours ago", "num"),
    "minute": ngettext_lazy("%(num)d minute ago", "%(num)d minutes ago", "num"),
}
IN = {
    "year": ngettext_lazy("in %(num)d year", "in %(num)d years", "num"),
    "month": ngettext_lazy("in %(num)d month", "in %(num)d months", "num"),
    "week": ngettext_lazy("in %(num)d week", "in %(num)d weeks", "num"),
    "day": ngettext_lazy("in %(num)d day", "in %(num)d days", "num"),
    "hour": ngettext_lazy("in %(num)d hour", "in %(num)d hours", "num"),
    "minute": ngettext_lazy("in %(num)d minute", "in %(num)d minutes", "num"),
}

# How a moment is written in a language that does not write it the English way (Django's date-format letters):
# Czech "6. 12. 2026 14:05". Any other language keeps the English forms in ``when`` and ``clock``.
MOMENT_FORMATS = {
    "cs": {"shown": "j. n. Y G:i", "exact": "j. n. Y G:i:s T", "clock": "D j. n. Y G:i:s"},
}


def _moment_formats() -> dict[str, str] | None:
    return MOMENT_FORMATS.get((get_language() or "").split("-")[0])


def decimal_text(text: str) -> str:
    """A number written with a decimal point, with the active language's decimal mark instead (Czech: 2,5)."""
    return text.replace(".", str(get_format("DECIMAL_SEPARATOR")))


def relative_text(value: datetime, now: datetime) -> str:
    """How long ago or until, in its largest unit: "2 hours ago", "in 1 day", "just now"."""
    if abs(value - now) < timedelta(minutes=1):  # timesince would say "0 minutes"
        return gettext("just now")
    if value <= now:
        span = timesince(value, now, time_strings=cast(dict[str, str], AGO), depth=1)  # lazy: said when used
    else:
        span = timeuntil(value, now, time_strings=cast(dict[str, str], IN), depth=1)
    return span.replace("\xa0", " ")


@register.filter
def when(value: datetime | None) -> SafeString | str:
    """Local time with how long ago (or until), the exact instant in the tooltip and the markup."""
    if value is None:
        return "–"
    local = timezone.localtime(value)
    formats = _moment_formats()
    if formats is None:
        exact, shown = f"{local:%Y-%m-%d %H:%M:%S %Z}", f"{local:%d.%m. %H:%M:%S}"
    else:
        exact, shown = dateformat.format(local, formats["exact"]), dateformat.format(local, formats["shown"])
    return format_html(
        '<time datetime="{}" title="{}">{} <span class="muted">({})</span></time>',
        value.isoformat(),
        exact,
        shown,
        relative_text(value, timezone.now()),
    )


@register.filter
def clock(value: datetime | None, tz: str = "") -> str:
    """Date and time in the service's time zone, or in ``tz`` (a job's), for fire times and timelines."""
    if value is None:
        return "–"
    local = value.astimezone(ZoneInfo(tz)) if tz else timezone.localtime(value)
    formats = _moment_formats()
    shown = f"{local:%a %d.%m.%Y %H:%M:%S}" if formats is None else dateformat.format(local, formats["clock"])
    return shown + (f" {local:%Z}" if tz else "")


@register.filter
def seconds(value: float | None) -> str:
    return seconds_text(value)


@register.filter
def status_badge(status: str) -> SafeString:
    text = (STATUS_WORDS.get(status) or status.replace("_", " ")) if status else pgettext_lazy("status", "never ran")
    return format_html(
        '<span class="badge status-{}">{} {}</span>', status or "none", STATUS_SIGNS.get(status, "–"), text
    )


@register.filter
def severity_word(label: str) -> str:
    """A severity's label ("critical", as stored and in URLs) in the active language."""
    return str(SEVERITY_WORDS.get(label, label))


@register.filter
def severity_badge(severity: int | str) -> SafeString:
    label = Severity(severity).label if isinstance(severity, int) else severity
    return format_html(
        '<span class="badge severity-{}">{} {}</span>', label, SEVERITY_SIGNS.get(label, ""), severity_word(label)
    )


@register.filter
def health_badge(healthy: bool) -> SafeString:
    if healthy:
        return format_html('<span class="badge status-succeeded">✓ {}</span>', pgettext_lazy("job health", "healthy"))
    return format_html('<span class="badge status-failed">✗ {}</span>', pgettext_lazy("job health", "needs attention"))


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else decimal_text(f"{value:g} %")


@register.filter
def detail_text(detail: dict[str, object], kind: str = "") -> str:
    """An alert event's details as a sentence in the active language, given its kind (``{{ event.detail|
    detail_text:event.kind }}``: "Run … found it again, with 2 violations."); without a kind, or for details of a
    shape not known, as ``key: value`` pairs, leaving out the empty ones (``alerts/texts/``)."""
    from compliance_monitor.alerts import texts

    return texts.event_text(kind, dict(detail)) if kind else texts.pairs(dict(detail))


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters changed (paging and filter links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = str(value)
    return "?" + params.urlencode()
