"""Issue 15: times, durations, numbers and badges in Czech as a Czech user writes them (``6. 12. 2026 14:05``,
``před 2 hodinami``, ``12,5 %``), and in English exactly as before.

The Czech words come from the catalog (``locale/cs/LC_MESSAGES/django.po``), compiled here with GNU
gettext's ``msgfmt`` into a locale folder of the test's own: the test does not depend on the merged catalog.

Shown failing by writing the Czech moment format with ``d.m.`` (``06.12. 14:05``) in ``MOMENT_FORMATS``, and by
putting the English f-string back in place of ``relative_text`` (``2 hours ago`` in Czech).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone, translation

from compliance_monitor.dashboard import charts
from compliance_monitor.dashboard.templatetags import dashboard

NOW = "2026-12-06 13:05:00+00:00"  # 14:05 in Prague (CET), a Sunday


@pytest.fixture
def czech(czech_catalog: Path) -> Iterator[None]:
    """Czech active, with the catalog compiled from ``django.po`` (the root conftest's ``czech_catalog``)."""
    with translation.override("cs"):
        yield


def at(minutes: float = 0, **kwargs: float) -> datetime:
    return timezone.now() + timedelta(minutes=minutes, **kwargs)


@time_machine.travel(NOW, tick=False)
def test_when_writes_a_czech_date_and_a_czech_relative_time(czech: None) -> None:
    two_hours_ago = dashboard.when(at(hours=-2))
    assert ">6. 12. 2026 12:05 <" in two_hours_ago  # Prague time, no leading zeros, no seconds
    assert 'title="6. 12. 2026 12:05:00 CET"' in two_hours_ago
    assert 'datetime="2026-12-06T11:05:00+00:00"' in two_hours_ago  # the markup stays ISO
    assert "(před 2 hodinami)" in two_hours_ago
    assert ">6. 12. 2026 14:05 <" in dashboard.when(at())
    assert "(právě teď)" in dashboard.when(at(seconds=-20))
    assert "(před 1 minutou)" in dashboard.when(at(-1))
    assert "(před 5 dny)" in dashboard.when(at(days=-5))
    assert "(za 3 minuty)" in dashboard.when(at(3))
    assert "(za 1 den)" in dashboard.when(at(days=1, hours=3))
    assert "(za 5 dní)" in dashboard.when(at(days=5))
    assert dashboard.clock(at(hours=-2)) == "ne 6. 12. 2026 12:05:00"
    assert dashboard.clock(at(), "Europe/London") == "ne 6. 12. 2026 13:05:00 GMT"


@time_machine.travel(NOW, tick=False)
def test_when_and_clock_in_english_are_as_they_always_were() -> None:
    with translation.override("en"):
        two_hours_ago = dashboard.when(at(hours=-2))
        assert two_hours_ago == (
            '<time datetime="2026-12-06T11:05:00+00:00" title="2026-12-06 12:05:00 CET">06.12. 12:05:00 '
            '<span class="muted">(2 hours ago)</span></time>'
        )
        assert "(just now)" in dashboard.when(at(seconds=-20))
        assert "(1 minute ago)" in dashboard.when(at(-1))
        assert "(in 3 minutes)" in dashboard.when(at(3))
        assert "(in 5 days)" in dashboard.when(at(days=5))
        assert dashboard.clock(at(hours=-2)) == "Sun 06.12.2026 12:05:00"
        assert dashboard.clock(at(), "Europe/London") == "Sun 06.12.2026 13:05:00 GMT"


def test_badges_durations_and_numbers_in_czech_keep_their_signs_and_classes(czech: None) -> None:
    assert dashboard.status_badge("failed") == '<span class="badge status-failed">✗ selhání</span>'
    assert dashboard.status_badge("") == '<span class="badge status-none">– zatím nespuštěno</span>'
    assert dashboard.severity_badge(4) == '<span class="badge severity-critical">‼ kritická</span>'
    assert dashboard.health_badge(False) == '<span class="badge status-failed">✗ vyžaduje pozornost</span>'
    assert dashboard.percent(12.5) == "12,5 %"
    assert dashboard.seconds(2.5) == "2,5 s"
    line = charts.sparkline([10.0, 30.0, 20.0])
    assert line is not None and line.summary == "poslední 3 běhy: 10 s až 30 s, poslední 20 s"


def test_badges_durations_and_numbers_in_english_are_unchanged() -> None:
    with translation.override("en"):
        assert dashboard.status_badge("failed") == '<span class="badge status-failed">✗ failed</span>'
        assert dashboard.health_badge(True) == '<span class="badge status-succeeded">✓ healthy</span>'
        assert dashboard.percent(12.5) == "12.5 %"
        assert dashboard.seconds(2.5) == "2.5 s"
        assert dashboard.seconds(3725) == "1 h 2 min"
