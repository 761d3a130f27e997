"""This installation's web hook on the ERP (``manage.py connections hook register|status|remove``).

A hook is ours when its URL ends with this feed's path *and secret* — another installation watching the same
company registers the same path with a secret of its own, and is never listed or removed from here. Registering
again is idempotent; with ``rotate`` the feed gets a new secret, the new URL is registered, then the old one removed
(a leaked secret stops working once this returns).
"""

from __future__ import annotations

from datetime import datetime

from compliance_monitor.erp import change_feed, change_log
from compliance_monitor.erp.models import ChangeFeed, Connection, FeedMode


def ours(feed: ChangeFeed, url: str) -> bool:
    secret = feed.hook_secret if feed.hook_secret_encrypted else ""
    return bool(secret) and url.endswith(change_feed.hook_path(feed.connection, secret))


def our_hooks(connection: Connection, *, now: datetime) -> list[dict[str, str]]:
    with change_feed.opened(connection, now) as source:
        return _listed(source, change_feed.feed_view(connection))


def register(connection: Connection, base_url: str, *, rotate: bool = False, now: datetime) -> ChangeFeed:
    """Switch the feed to hook mode and register ``base_url`` + its path on the ERP (once)."""
    previous = our_hooks(connection, now=now)  # by the secret before a rotation
    feed = change_feed.set_mode(connection, FeedMode.HOOK, now=now, rotate_secret=rotate)
    url = base_url.rstrip("/") + change_feed.hook_path(connection, feed.hook_secret)
    with change_feed.opened(connection, now) as source:
        if not any(hook["url"] == url for hook in previous):
            change_log.register_hook(source, url, feed.cursor)
        for stale in (hook for hook in previous if hook["url"] != url):
            change_log.remove_hook(source, stale["id"])
    return feed


def remove(connection: Connection, *, now: datetime) -> int:
    with change_feed.opened(connection, now) as source:
        found = _listed(source, change_feed.feed_view(connection))
        for hook in found:
            change_log.remove_hook(source, hook["id"])
    return len(found)


def _listed(source: change_log.JsonSource, feed: ChangeFeed) -> list[dict[str, str]]:
    return [hook for hook in change_log.hooks(source) if ours(feed, hook["url"])]
