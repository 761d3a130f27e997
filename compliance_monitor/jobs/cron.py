"""Cron expressions: validation and fire times, using the very parser Celery beat uses.

Parsing with Celery's ``crontab_parser`` means an expression we accept is one beat can run, and the
fire times we show are the ones beat will fire. Like Celery (and unlike Vixie cron), a time matches
when *all* fields match — day of month AND day of week.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, takewhile
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from celery.schedules import ParseException, crontab_parser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIELDS = (
    # name, parser max, parser min
    ("minute", 60, 0),
    ("hour", 24, 0),
    ("day_of_month", 31, 1),
    ("month_of_year", 12, 1),
    ("day_of_week", 7, 0),
)
ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
SEARCH_DAYS = 5 * 366  # far enough for "29 February on a Monday"


@dataclass(frozen=True)
class CronSpec:
    minute: frozenset[int]
    hour: frozenset[int]
    day_of_month: frozenset[int]
    month_of_year: frozenset[int]
    day_of_week: frozenset[int]  # 0 = Sunday
    fields: dict[str, str]  # the five source fields, for django-celery-beat's CrontabSchedule

    def matches_day(self, day: date) -> bool:
        return (
            day.month in self.month_of_year
            and day.day in self.day_of_month
            and day.isoweekday() % 7 in self.day_of_week
        )


def parse(expression: str) -> CronSpec:
    """Parse ``"min hour dom month dow"`` (or an ``@alias``); raise ``ValidationError`` naming the problem."""
    text = ALIASES.get(expression.strip().lower(), expression.strip())
    parts = text.split()
    if len(parts) != len(FIELDS):
        raise ValidationError(
            _(
                "cron expression must have 5 fields (minute hour day-of-month month day-of-week), got %(count)s: "
                "%(cron)s"
            )
            % {"count": len(parts), "cron": repr(expression)}
        )
    sets = {name: _parse_field(name, part, max_, min_) for (name, max_, min_), part in zip(FIELDS, parts, strict=False)}
    return CronSpec(**sets, fields=dict(zip((f[0] for f in FIELDS), parts, strict=False)))


def _parse_field(name: str, part: str, max_: int, min_: int) -> frozenset[int]:
    if name == "day_of_week" and part == "7":
        part = "0"  # both 0 and 7 mean Sunday in cron
    label = name.replace("_", "-")
    try:
        values = frozenset(crontab_parser(max_, min_).parse(part))
    except (ValueError, ParseException) as exc:
        # Celery words every unknown literal as a "weekday"; say what the field accepts instead.
        detail = (
            str(exc)
            if name in {"day_of_week", "month_of_year"} or "literal" not in str(exc)
            else _("expected numbers %(low)s-%(high)s, ranges (1-5), lists (1,2) or steps (*/15)")
            % {"low": min_, "high": max_ - 1 + min_}
        )
        problem = _("cron %(field)s field %(part)s is invalid: %(detail)s")
        raise ValidationError(problem % {"field": label, "part": repr(part), "detail": detail}) from exc
    if not values:
        raise ValidationError(_("cron %(field)s field %(part)s matches nothing") % {"field": label, "part": repr(part)})
    return values


def validate_cron(expression: str) -> None:
    spec = parse(expression)
    if not next_fire_times_of(spec, ZoneInfo("UTC"), after=datetime(2000, 1, 1, tzinfo=UTC), count=1):
        problem = _("cron expression %(cron)s never fires within 5 years (impossible date?)")
        raise ValidationError(problem % {"cron": repr(expression)})


def validate_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        problem = _("unknown time zone %(zone)s (use an IANA name such as 'Europe/Prague')")
        raise ValidationError(problem % {"zone": repr(name)}) from exc


def all_timezones() -> list[str]:
    return sorted(available_timezones())


def next_fire_times(expression: str, tz_name: str, *, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after``, as aware UTC datetimes."""
    return next_fire_times_of(parse(expression), ZoneInfo(tz_name), after=after, count=count)


def next_fire_times_of(spec: CronSpec, tz: ZoneInfo, *, after: datetime, count: int) -> list[datetime]:
    return list(islice(fire_times(spec, tz, after=after), count))


def fire_times(spec: CronSpec, tz: ZoneInfo, *, after: datetime) -> Iterator[datetime]:
    """Fire times strictly after ``after``, in order, as aware UTC datetimes (lazily, up to 5 years)."""
    times = [time(hour, minute) for hour in sorted(spec.hour) for minute in sorted(spec.minute)]
    day = after.astimezone(tz).date()
    for _day in range(SEARCH_DAYS):
        if spec.matches_day(day):
            yield from _fires_on(times, tz, day, after=after)
        day += timedelta(days=1)


def _fires_on(times: list[time], tz: ZoneInfo, day: date, *, after: datetime) -> Iterator[datetime]:
    # Only a day whose UTC offset changes has wall times that do not exist (spring-forward gap); checking every
    # fire for it tripled the cost of expanding a week of schedules for the conflict finder.
    changes = _offset_at(tz, day) != _offset_at(tz, day + timedelta(days=1))
    for at in times:
        local = datetime.combine(day, at, tzinfo=tz)
        utc = local.astimezone(UTC)
        # A wall time that does not exist is skipped, as beat skips it.
        if utc > after and (not changes or utc.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None)):
            yield utc


def _offset_at(tz: ZoneInfo, day: date) -> timedelta | None:
    return datetime.combine(day, time(0), tzinfo=tz).utcoffset()


def latest_fire_time(expression: str, tz_name: str, *, at: datetime, within: timedelta) -> datetime | None:
    """The last fire time at or before ``at`` (looking back ``within``): the cron slot a beat tick is for."""
    due = takewhile(lambda fire: fire <= at, fire_times(parse(expression), ZoneInfo(tz_name), after=at - within))
    latest = None
    for latest in due:  # noqa: B007 — we want the last one
        pass
    return latest
