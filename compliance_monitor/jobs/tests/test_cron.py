from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from compliance_monitor.jobs import cron


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * *", "must have 5 fields"),
        ("61 * * * *", "minute field '61' is invalid"),
        ("0 25 * * *", "hour field '25' is invalid"),
        ("x * * * *", "minute field 'x' is invalid: expected numbers 0-59"),
        ("0 0 * * funday", "day-of-week field 'funday' is invalid"),
        ("*/0 * * * *", "slice step cannot be zero"),
        ("0 0 31 2 *", "never fires"),
    ],
)
def test_it_rejects_a_bad_cron_naming_the_problem(expression: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        cron.validate_cron(expression)


@pytest.mark.parametrize("expression", ["0 * * * *", "*/15 8-17 * * mon-fri", "0 6 1 jan,jul *", "@daily", "0 0 * * 7"])
def test_it_accepts_what_beat_accepts(expression: str) -> None:
    cron.validate_cron(expression)


def test_sunday_may_be_written_as_7_or_0() -> None:
    assert cron.parse("0 0 * * 7").day_of_week == cron.parse("0 0 * * 0").day_of_week == frozenset({0})


def test_it_lists_the_next_fire_times_strictly_after_now_in_utc() -> None:
    after = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    fires = cron.next_fire_times("0 * * * *", "UTC", after=after, count=3)
    assert fires == [after + timedelta(hours=h) for h in (1, 2, 3)]


def test_fire_times_follow_the_jobs_time_zone() -> None:
    after = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    (fire,) = cron.next_fire_times("0 8 * * *", "Europe/Prague", after=after, count=1)
    assert fire == datetime(2026, 1, 1, 7, 0, tzinfo=UTC)  # 08:00 CET


def test_a_wall_time_that_does_not_exist_on_the_dst_change_is_skipped() -> None:
    after = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # Prague skips 02:00-03:00 on 29 March 2026
    fires = cron.next_fire_times("30 2 * * *", "Europe/Prague", after=after, count=2)
    assert [f.date().isoformat() for f in fires] == ["2026-03-30", "2026-03-31"]


def test_day_of_month_and_day_of_week_must_both_match_as_in_celery() -> None:
    after = datetime(2026, 1, 1, tzinfo=UTC)
    (fire,) = cron.next_fire_times("0 0 13 * 5", "UTC", after=after, count=1)  # Friday the 13th
    assert (fire.date().isoformat(), fire.weekday()) == ("2026-02-13", 4)


def test_the_latest_fire_time_is_the_slot_a_late_tick_belongs_to() -> None:
    at = datetime(2026, 1, 1, 10, 7, 30, tzinfo=UTC)
    slot = cron.latest_fire_time("*/5 * * * *", "UTC", at=at, within=timedelta(hours=1))
    assert slot == datetime(2026, 1, 1, 10, 5, tzinfo=UTC)


def test_it_rejects_an_unknown_time_zone() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        cron.validate_timezone("Mars/Olympus")
