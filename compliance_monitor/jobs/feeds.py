"""The change feeds' use cases: poll every connection in ``poll`` mode; receive a hook's POST, which asks a
worker to read that feed at once (:func:`read`). Both read the change log from the cursor and feed
:func:`compliance_monitor.jobs.changes.ingest`, then a flush when the coalescing window closes."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db.models import Q

from compliance_monitor.erp import change_feed, change_log
from compliance_monitor.erp.change_feed import Batch
from compliance_monitor.erp.flexi import ErpError
from compliance_monitor.erp.models import ChangeFeed, FeedMode
from compliance_monitor.jobs import changes, dispatch

log = structlog.get_logger(__name__)
MAX_HOOK_BYTES = 1024 * 1024  # a hook's body; Flexi sends "all changes since the last call"
_UNSET_SECRET = "x" * 43  # compared against when a connection has no hook, so a miss takes as long as a hit


class HookRejectedError(Exception):
    """Wrong connection or secret (answered 404, saying nothing of which)."""


@dataclass(frozen=True)
class HookCall:
    feed_id: int
    announced: int  # changes the body listed (the feed reads them, and any others, from its cursor)


def poll_all(*, now: datetime) -> int:
    """Read every polled feed once, and every hooked feed not read for ``CM_HOOK_FALLBACK_SECONDS`` (a hook the
    ERP stopped calling — penalised, unregistered, a lost message — is then polled); returns the new changes.
    One feed's failure is logged and recorded on it, never the end of the others' reads."""
    stale = now - timedelta(seconds=settings.CM_HOOK_FALLBACK_SECONDS)
    due = Q(mode=FeedMode.POLL) | Q(mode=FeedMode.HOOK) & (Q(last_read_at__isnull=True) | Q(last_read_at__lt=stale))
    feeds = ChangeFeed.objects.filter(due, connection__enabled=True).select_related("connection")
    return sum(_isolated(feed, now) for feed in feeds)


def _isolated(feed: ChangeFeed, now: datetime) -> int:
    try:
        return poll(feed, now=now)
    except Exception as exc:
        log.exception("change_feed_failed", connection=feed.connection.name, error_type=type(exc).__name__)
        ChangeFeed.objects.filter(pk=feed.pk).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000], last_error_at=now, updated_at=now
        )
        return 0


def poll(feed: ChangeFeed, *, now: datetime, prompted: bool = False) -> int:
    """Read the feed from its cursor. ``prompted``: a hook's call asked for it (its changes are fresh)."""
    try:
        batch = change_feed.read_new(feed.connection, feed.cursor, now=now)
    except ErpError as exc:
        _failed(feed, exc, now)
        return 0
    since = None if prompted else feed.last_read_at
    return _ingested(feed, batch, now, since)


def read(feed_id: int, *, now: datetime) -> int:
    """What a hook's call asks for: read the feed from its cursor now (a worker's task, not the web request)."""
    feed = ChangeFeed.objects.filter(pk=feed_id, connection__enabled=True).select_related("connection").first()
    if feed is None or feed.mode == FeedMode.OFF:
        return 0
    return poll(feed, now=now, prompted=True)


def receive_hook(connection: str, secret: str, body: bytes) -> HookCall:
    """A hook's POST, checked: the secret in constant time, the body capped and parsed (empty: the ERP's test
    call). The body is only the signal — what changed is read from the change log at the feed's cursor, so a
    forged, replayed or out-of-order body can neither move the cursor nor hide a change."""
    found = (
        ChangeFeed.objects.filter(connection__name=connection, mode=FeedMode.HOOK, connection__enabled=True)
        .select_related("connection")
        .first()
    )
    expected = found.hook_secret if found is not None and found.hook_secret_encrypted else _UNSET_SECRET
    if not hmac.compare_digest(expected.encode(), secret.encode()) or found is None or expected == _UNSET_SECRET:
        raise HookRejectedError
    if len(body) > MAX_HOOK_BYTES:
        raise ValueError(f"body: over {MAX_HOOK_BYTES} bytes")
    if not body.strip():
        return HookCall(found.pk, 0)
    try:
        page = change_log.parse_changes(json.loads(body))
    except (ValueError, ErpError) as exc:
        raise ValueError(f"body: not a Flexi change list ({exc})") from None
    return HookCall(found.pk, len(page.changes))


def _ingested(feed: ChangeFeed, batch: Batch, now: datetime, since: datetime | None) -> int:
    result = changes.ingest(feed.pk, batch, now=now, waiting_since=since)
    if result.due_at is not None:
        dispatch.send_flush(countdown=max(0.0, (result.due_at - now).total_seconds()))
    return result.changes


def _failed(feed: ChangeFeed, exc: ErpError, now: datetime) -> None:
    warning = change_feed.check_log_enabled(feed.connection, now=now)
    fields = {"warning": warning, "updated_at": now}
    if not warning:
        fields |= {"last_error": str(exc)[:2000], "last_error_at": now}
    ChangeFeed.objects.filter(pk=feed.pk).update(**fields)
    log.warning("change_feed_failed", connection=feed.connection.name, error=str(exc), warning=warning or None)
