"""Template helpers: times, durations and badges that carry their meaning in text, not only in colour."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince, timeuntil

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
SEVERITY_SIGNS = {"critical": "‼", "high": "!", "medium": "•", "low": "·"}


@register.filter
def when(value: datetime | None) -> SafeString | str:
    """Local time with how long ago (or until), the exact instant in the tooltip and the markup."""
    if value is None:
        return "–"
    local = timezone.localtime(value)
    now = timezone.now()
    # The largest unit only ("2 hours ago"): the exact time is beside it.
    span = timesince(value, now, depth=1) if value <= now else timeuntil(value, now, depth=1)
    relative = (f"{span} ago" if value <= now else f"in {span}").replace("\xa0", " ")
    if relative in ("0 minutes ago", "in 0 minutes"):
        relative = "just now"
    return format_html(
        '<time datetime="{}" title="{}">{} <span class="muted">({})</span></time>',
        value.isoformat(),
        f"{local:%Y-%m-%d %H:%M:%S %Z}",
        f"{local:%d.%m. %H:%M:%S}",
        relative,
    )


@register.filter
def clock(value: datetime | None, tz: str = "") -> str:
    """Date and time in the service's time zone, or in ``tz`` (a job's), for fire times and timelines."""
    if value is None:
        return "–"
    local = value.astimezone(ZoneInfo(tz)) if tz else timezone.localtime(value)
    return f"{local:%a %d.%m.%Y %H:%M:%S}" + (f" {local:%Z}" if tz else "")


@register.filter
def seconds(value: float | None) -> str:
    return seconds_text(value)


@register.filter
def status_badge(status: str) -> SafeString:
    text = status.replace("_", " ") if status else "never ran"
    return format_html(
        '<span class="badge status-{}">{} {}</span>', status or "none", STATUS_SIGNS.get(status, "–"), text
    )


@register.filter
def severity_badge(severity: int | str) -> SafeString:
    label = Severity(severity).label if isinstance(severity, int) else severity
    return format_html('<span class="badge severity-{}">{} {}</span>', label, SEVERITY_SIGNS.get(label, ""), label)


@register.filter
def health_badge(healthy: bool) -> SafeString:
    if healthy:
        return mark_safe('<span class="badge status-succeeded">✓ healthy</span>')
    return mark_safe('<span class="badge status-failed">✗ needs attention</span>')


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:g} %"


@register.filter
def detail_text(detail: dict[str, object]) -> str:
    """An event's details as ``key: value`` pairs, leaving out the empty ones."""
    return " · ".join(
        f"{key.replace('_', ' ')}: {value}" for key, value in detail.items() if value not in (None, "", [])
    )


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters changed (paging and filter links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = str(value)
    return "?" + params.urlencode()
