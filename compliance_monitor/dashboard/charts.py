"""Small server-side SVG charts: geometry computed here, drawn by templates (no chart library, no JS).

Every chart also comes with its numbers in text (a title or a table), so colour is never the only carrier.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from django.utils import dateformat
from django.utils.translation import ngettext, pgettext

from compliance_monitor.jobs import durations
from compliance_monitor.jobs.anomalies import SHORT, SLOW, Anomaly
from compliance_monitor.jobs.stats import DailyTrend


@dataclass(frozen=True)
class Sparkline:
    points: str  # an SVG polyline's points
    width: int
    height: int
    summary: str


def sparkline(values: Sequence[float], *, width: int = 120, height: int = 28) -> Sparkline | None:
    """A trend line of durations, scaled to the box; None when there is nothing to draw."""
    if len(values) < 2:
        return None
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 4) / (len(values) - 1)
    coords = [(2 + i * step, height - 2 - (v - low) / span * (height - 4)) for i, v in enumerate(values)]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    summary = ngettext(
        "last %(count)s run: %(low)s to %(high)s, latest %(latest)s",
        "last %(count)s runs: %(low)s to %(high)s, latest %(latest)s",
        len(values),
    ) % {
        "count": len(values),
        "low": seconds_text(low),
        "high": seconds_text(high),
        "latest": seconds_text(values[-1]),
    }
    return Sparkline(points, width, height, summary)


WIDTH, HEIGHT, TOP, BOTTOM, LEFT, RIGHT = 760, 220, 12, 190, 40, 50  # the daily chart's box and margins


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    succeeded_y: float
    succeeded_height: float
    failed_y: float
    failed_height: float
    other_y: float
    other_height: float
    title: str


@dataclass(frozen=True)
class Marker:
    """A day with duration anomalies: a sign above its bar (in the top margin), its words in the title."""

    x: float
    y: float
    title: str


@dataclass(frozen=True)
class DailyChart:
    bars: list[Bar]
    p50_points: str
    p95_points: str
    max_runs: int  # the busiest day's runs: the left axis
    max_seconds: float  # the slowest day's p95: the right axis
    ticks: list[tuple[float, str]]  # x and day label, every few days
    markers: list[Marker] = field(default_factory=list)  # days with slow or suspiciously short runs
    width: int = WIDTH
    height: int = HEIGHT
    plot_top: int = TOP
    plot_bottom: int = BOTTOM
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT


def seconds_text(seconds: float | None) -> str:
    """3.2 s, 4 min 5 s, 1 h 2 min — or an en dash for none, in the active language (Czech: 3,2 s)."""
    return durations.duration_text(seconds, localized=True)


AnomalyCounts = Mapping[date, Counter[str]]  # per day: how many runs of each anomaly kind


def anomaly_counts(anomalies: Iterable[Anomaly], tz: ZoneInfo) -> dict[date, Counter[str]]:
    counts: dict[date, Counter[str]] = {}
    for anomaly in anomalies:
        counts.setdefault(anomaly.started_at.astimezone(tz).date(), Counter())[anomaly.kind] += 1
    return counts


def daily_chart(days: Sequence[DailyTrend], anomalies: AnomalyCounts | None = None) -> DailyChart:
    """Stacked bars of runs per day (succeeded / failed / other) and p50 and p95 duration lines; a marker above
    each day with slow or suspiciously short runs."""
    max_runs = max((d.count for d in days), default=0)
    max_seconds = max((d.p95_duration_seconds or 0 for d in days), default=0) or 1.0
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bars = [_bar(i, day, slot, max_runs or 1) for i, day in enumerate(days)]
    every = max(1, len(days) // 8)
    # Translators: a day under the chart's axis (Django's date format: d day, m month).
    tick_format = pgettext("date format: a chart axis day", "d.m.")
    ticks = [
        (LEFT + i * slot + slot / 2, dateformat.format(d.day, tick_format))
        for i, d in enumerate(days)
        if i % every == 0
    ]
    counts = anomalies or {}
    markers = [_marker(bar, day, counts[day.day]) for bar, day in zip(bars, days, strict=True) if day.day in counts]
    return DailyChart(
        bars,
        _line(days, slot, max_seconds, "p50_duration_seconds"),
        _line(days, slot, max_seconds, "p95_duration_seconds"),
        max_runs,
        max_seconds,
        ticks,
        markers,
    )


def _marker(bar: Bar, day: DailyTrend, counts: Counter[str]) -> Marker:
    slow, short = counts[SLOW], counts[SHORT]
    parts = [ngettext("%(count)s slow run", "%(count)s slow runs", slow) % {"count": slow}] if slow else []
    if short:
        parts += [
            ngettext("%(count)s suspiciously short run", "%(count)s suspiciously short runs", short) % {"count": short}
        ]
    # In the margin above the plot, over the day's bar: no bar reaches that high.
    return Marker(bar.x + bar.width / 2, TOP - 1.0, f"{_day(day.day)}: {', '.join(parts)}")


def _day(day: date) -> str:
    # Translators: a day in the chart's tooltips (Django's date format: Y year, m month, d day).
    return dateformat.format(day, pgettext("date format: a chart day", "Y-m-d"))


def _bar(index: int, day: DailyTrend, slot: float, max_runs: int) -> Bar:
    scale = (BOTTOM - TOP) / max_runs
    other = day.count - day.succeeded - day.failed
    heights = (day.succeeded * scale, day.failed * scale, other * scale)
    succeeded_y = BOTTOM - heights[0]
    failed_y = succeeded_y - heights[1]
    other_y = failed_y - heights[2]
    runs = ngettext(
        "%(count)s run, %(succeeded)s succeeded, %(failed)s failed",
        "%(count)s runs, %(succeeded)s succeeded, %(failed)s failed",
        day.count,
    ) % {"count": day.count, "succeeded": day.succeeded, "failed": day.failed}
    p50, p95 = seconds_text(day.p50_duration_seconds), seconds_text(day.p95_duration_seconds)
    title = f"{_day(day.day)}: {runs}; p50 {p50}, p95 {p95}"
    x = LEFT + index * slot + slot * 0.15
    return Bar(x, slot * 0.7, succeeded_y, heights[0], failed_y, heights[1], other_y, heights[2], title)


def _line(days: Sequence[DailyTrend], slot: float, max_seconds: float, attribute: str) -> str:
    points = []
    for i, day in enumerate(days):
        value = getattr(day, attribute)
        if value is not None:
            y = BOTTOM - value / max_seconds * (BOTTOM - TOP)
            points.append(f"{LEFT + i * slot + slot / 2:.1f},{y:.1f}")
    return " ".join(points)
