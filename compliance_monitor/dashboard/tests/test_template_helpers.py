from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from compliance_monitor.dashboard.templatetags import dashboard


def test_times_say_how_long_ago_in_their_largest_unit() -> None:
    with time_machine.travel("2026-11-28 12:00:00+00:00", tick=False):
        now = timezone.now()
        assert "(just now)" in dashboard.when(now - timedelta(seconds=20))
        assert "(10 minutes ago)" in dashboard.when(now - timedelta(minutes=10))
        assert "(2 hours ago)" in dashboard.when(now - timedelta(hours=2, minutes=5))
        assert "(in 1 day)" in dashboard.when(now + timedelta(days=1, hours=3))
        assert 'datetime="2026-11-28T11:50:00+00:00"' in dashboard.when(now - timedelta(minutes=10))
        assert "28.11. 12:50:00" in dashboard.when(now - timedelta(minutes=10))  # Prague, CET


def test_badges_carry_a_sign_and_a_word_besides_their_colour() -> None:
    assert dashboard.status_badge("timed_out") == '<span class="badge status-timed_out">⏱ timed out</span>'
    assert dashboard.status_badge("") == '<span class="badge status-none">– never ran</span>'
    assert dashboard.severity_badge(4) == '<span class="badge severity-critical">‼ critical</span>'


def test_event_details_leave_out_empty_values() -> None:
    assert dashboard.detail_text({"execution": "e1", "reopens": None, "violation_count": 3}) == (
        "execution: e1 · violation count: 3"
    )
