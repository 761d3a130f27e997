"""Small server-side SVG charts: geometry computed here, drawn by templates (no chart library, no JS).

Every chart also comes with its numbers in text (a title or a table), so colour is never the only carrier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    summary = f"last {len(values)} runs: {seconds_text(low)} to {seconds_text(high)}, latest {seconds_text(values[-1])}"
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
class DailyChart:
    bars: list[Bar]
    p50_points: str
    p95_points: str
    max_runs: int  # the busiest day's runs: the left axis
    max_seconds: float  # the slowest day's p95: the right axis
    ticks: list[tuple[float, str]]  # x and day label, every few days
    width: int = WIDTH
    height: int = HEIGHT
    plot_top: int = TOP
    plot_bottom: int = BOTTOM
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT


def daily_chart(days: Sequence[DailyTrend]) -> DailyChart:
    """Stacked bars of runs per day (succeeded / failed / other) and p50 and p95 duration lines."""
    max_runs = max((d.count for d in days), default=0)
    max_seconds = max((d.p95_duration_seconds or 0 for d in days), default=0) or 1.0
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bars = [_bar(i, day, slot, max_runs or 1) for i, day in enumerate(days)]
    every = max(1, len(days) // 8)
    ticks = [(LEFT + i * slot + slot / 2, f"{d.day:%d.%m.}") for i, d in enumerate(days) if i % every == 0]
    return DailyChart(
        bars,
        _line(days, slot, max_seconds, "p50_duration_seconds"),
        _line(days, slot, max_seconds, "p95_duration_seconds"),
        max_runs,
        max_seconds,
        ticks,
    )


def _bar(index: int, day: DailyTrend, slot: float, max_runs: int) -> Bar:
    scale = (BOTTOM - TOP) / max_runs
    other = day.count - day.succeeded - day.failed
    heights = (day.succeeded * scale, day.failed * scale, other * scale)
    succeeded_y = BOTTOM - heights[0]
    failed_y = succeeded_y - heights[1]
    other_y = failed_y - heights[2]
    title = (
        f"{day.day:%Y-%m-%d}: {day.count} runs, {day.succeeded} succeeded, {day.failed} failed"
        f"; p50 {seconds_text(day.p50_duration_seconds)}, p95 {seconds_text(day.p95_duration_seconds)}"
    )
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


def seconds_text(seconds: float | None) -> str:
    """3.2 s, 4 min 5 s, 1 h 2 min — or an en dash for none."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
