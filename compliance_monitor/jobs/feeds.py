"""The change feeds' use cases: poll every connection in ``poll`` mode, receive a hook's POST — both feed
:func:`compliance_monitor.jobs.changes.ingest`, then a flush when the coalescing window closes."""

from __future__ import annotations

import hmac
import json
from datetime import datetime

import structlog
from django.conf import settings

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


def poll_all(*, now: datetime) -> int:
    """Read every polled feed once; returns how many new changes came in."""
    feeds = ChangeFeed.objects.filter(mode=FeedMode.POLL, connection__enabled=True).select_related("connection")
    return sum(poll(feed, now=now) for feed in feeds)


def poll(feed: ChangeFeed, *, now: datetime) -> int:
    try:
        batch = change_feed.read_new(feed.connection, feed.cursor, now=now)
    except ErpError as exc:
        _failed(feed, exc, now)
        return 0
    return _ingested(feed, batch, now, whole=True)


def receive_hook(connection: str, secret: str, body: bytes, *, now: datetime) -> int:
    """A hook's POST: checked (secret in constant time, body capped), parsed, resolved and ingested."""
    feed = ChangeFeed.objects.filter(connection__name=connection, mode=FeedMode.HOOK).select_related("connection")
    found = feed.first()
    expected = found.hook_secret if found is not None and found.hook_secret_encrypted else _UNSET_SECRET
    if not hmac.compare_digest(expected.encode(), secret.encode()) or found is None or expected == _UNSET_SECRET:
        raise HookRejectedError
    if len(body) > MAX_HOOK_BYTES:
        raise ValueError(f"body: over {MAX_HOOK_BYTES} bytes")
    try:
        page = change_log.parse_changes(json.loads(body))
    except (ValueError, ErpError) as exc:
        raise ValueError(f"body: not a Flexi change list ({exc})") from None
    with change_feed.opened(found.connection, now) as source:
        resolved = change_feed.resolve(found.connection, source, page.changes)
    through = max([c.version for c in page.changes], default=None)
    return _ingested(found, Batch(resolved, through, page.global_version), now, whole=True)


def _ingested(feed: ChangeFeed, batch: Batch, now: datetime, *, whole: bool) -> int:
    result = changes.ingest(feed.pk, batch, now=now, read_whole=whole)
    if result.rechecks:
        dispatch.send_flush(countdown=settings.CM_CHANGE_WINDOW_SECONDS)
    return result.changes


def _failed(feed: ChangeFeed, exc: ErpError, now: datetime) -> None:
    warning = change_feed.check_log_enabled(feed.connection, now=now)
    fields = {"warning": warning, "updated_at": now}
    if not warning:
        fields |= {"last_error": str(exc)[:2000], "last_error_at": now}
    ChangeFeed.objects.filter(pk=feed.pk).update(**fields)
    log.warning("change_feed_failed", connection=feed.connection.name, error=str(exc), warning=warning or None)
