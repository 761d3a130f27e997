"""A recipient's delivery policy as answers: digest or at once, quiet or not, where a digest period ends.

Times are computed in the recipient's time zone (blank: the service's), so "daily at 07:30" stays 07:30 across
daylight saving time changes and an hourly digest follows the local clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from django.conf import settings

from compliance_monitor.alerts.models import Severity
from compliance_monitor.notifications.models import Cadence, Policy, Recipient

log = structlog.get_logger(__name__)


def zone(recipient: Recipient) -> ZoneInfo:
    """The recipient's time zone; the service's when theirs is unknown here (e.g. gone after a tzdata update)."""
    try:
        return ZoneInfo(recipient.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("recipient_time_zone_unknown", recipient=recipient.pk, time_zone=recipient.time_zone)
        return ZoneInfo(settings.TIME_ZONE)


def language(recipient: Recipient | None) -> str:
    """The language a recipient's notifications are written in: their own, else the installation's."""
    return (recipient.language if recipient else "") or settings.LANGUAGE_CODE


def policy_for(recipient: Recipient, severity: int) -> Policy:
    """Critical is always immediate; the other severities as the recipient chose."""
    chosen = {
        Severity.HIGH: recipient.high_policy,
        Severity.MEDIUM: recipient.medium_policy,
        Severity.LOW: recipient.low_policy,
    }.get(Severity(severity), Policy.IMMEDIATE)
    return Policy(chosen)


def wants_digest(recipient: Recipient, severity: int) -> bool:
    return policy_for(recipient, severity) == Policy.DIGEST


def has_digest(recipient: Recipient) -> bool:
    """Whether any severity goes to this recipient's digest (which then also tells of changes and resolutions)."""
    return any(wants_digest(recipient, severity) for severity in Severity)


def quiet_until(recipient: Recipient, now: datetime) -> datetime | None:
    """The end of the quiet hours ``now`` falls in, or None when it is not quiet for this recipient."""
    start, end = recipient.quiet_hours_start, recipient.quiet_hours_end
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone(recipient))
    clock = local.time().replace(tzinfo=None)
    quiet = start <= clock < end if start < end else (clock >= start or clock < end)
    if not quiet:
        return None
    ends = _at(local, end)
    return ends if ends > now else _at(local + timedelta(days=1), end)


def period_start(recipient: Recipient, now: datetime) -> datetime:
    """The latest digest boundary at or before ``now``: the hour, or the day's digest time, on the local clock."""
    local = now.astimezone(zone(recipient))
    if recipient.digest_cadence == Cadence.DAILY:
        boundary = _at(local, recipient.digest_time)
        return boundary if boundary <= now else _at(local - timedelta(days=1), recipient.digest_time)
    return local.replace(minute=0, second=0, microsecond=0)


def period_end(recipient: Recipient, at: datetime) -> datetime:
    """The digest boundary after ``at``: the end of the period ``at`` falls in."""
    start = period_start(recipient, at)
    if recipient.digest_cadence == Cadence.DAILY:
        return _at(start + timedelta(days=1), recipient.digest_time)
    return (start.astimezone(UTC) + timedelta(hours=1)).astimezone(start.tzinfo)


def _at(local: datetime, clock: time) -> datetime:
    """``clock`` on ``local``'s date, in its zone (a time the clock skips is read with the offset before)."""
    assert local.tzinfo is not None
    return datetime.combine(local.date(), clock.replace(tzinfo=None), tzinfo=local.tzinfo)
