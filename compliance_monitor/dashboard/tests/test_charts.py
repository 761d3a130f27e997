from __future__ import annotations

from datetime import date

from compliance_monitor.dashboard import charts
from compliance_monitor.jobs.stats import DailyTrend


def test_a_sparkline_spans_its_box_and_describes_itself_in_words() -> None:
    line = charts.sparkline([10.0, 30.0, 20.0])
    assert line is not None
    points = [tuple(map(float, p.split(","))) for p in line.points.split()]
    assert points[0][0] == 2.0 and points[-1][0] == line.width - 2
    assert min(y for _, y in points) == 2.0 and max(y for _, y in points) == line.height - 2  # 30 s top, 10 s bottom
    assert line.summary == "last 3 runs: 10 s to 30 s, latest 20 s"


def test_one_run_is_no_trend() -> None:
    assert charts.sparkline([5.0]) is None


def test_the_daily_chart_stacks_outcomes_and_scales_to_the_busiest_day() -> None:
    days = [
        DailyTrend(date(2026, 11, 1), 4, 2, 1, 3.0, 2.0, 9.0),
        DailyTrend(date(2026, 11, 2), 0, 0, 0, None),
        DailyTrend(date(2026, 11, 3), 2, 2, 0, 1.0, 1.0, 1.5),
    ]
    chart = charts.daily_chart(days)
    busiest = chart.bars[0]
    full = chart.plot_bottom - chart.plot_top
    assert busiest.succeeded_height + busiest.failed_height + busiest.other_height == full
    assert busiest.failed_height == full / 4 and busiest.other_height == full / 4
    assert chart.bars[1].succeeded_height == 0 and "0 runs" in chart.bars[1].title
    assert len(chart.p95_points.split()) == 2  # days without runs leave a gap, not a zero
    assert chart.max_seconds == 9.0


def test_durations_read_naturally() -> None:
    assert [charts.seconds_text(s) for s in (None, 0.042, 3.25, 42, 125, 3720)] == [
        "–",
        "42 ms",
        "3.2 s",
        "42 s",
        "2 min 5 s",
        "1 h 2 min",
    ]
