"""A connection's change feed: read what changed in the ERP since the cursor, and learn where each change happened.

Two ways in, one way on: **poll** reads ``changes.json`` from the cursor; **hook** receives the ERP's POSTs. Both
give :class:`Resolved` changes — the change, the warehouse its record belongs to when the record tells (a stock
movement line's ``sklad``), and the facts that name the culprit (document, date, user, a link into the ERP's web
interface). A record that is deleted or cannot be read resolves to no warehouse: every scope is re-checked, the
change is never dropped. What the changes ask to re-check is the jobs app's business (jobs/changes.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from django.db import transaction

from compliance_monitor.erp import change_log, sources
from compliance_monitor.erp.change_log import Change, JsonSource
from compliance_monitor.erp.flexi import ErpError, ErpPermissionError, relation
from compliance_monitor.erp.models import ChangeFeed, Connection, FeedMode

log = structlog.get_logger(__name__)
RECORD_FIELDS = {
    "skladovy-pohyb-polozka": "id,sklad,cenik,mnozMj,doklSklad,datVyst,uzivatel",
    "skladovy-pohyb": "id,kod,sklad,datVyst,uzivatel",
    "skladova-karta": "id,sklad,cenik",
}
MAX_RECORD_READS = 100  # per batch: beyond, changes re-check every scope (a burst must not mean 1,000 requests)
FEED_TIMEOUT_SECONDS = 10.0  # per request of a feed's read
MAX_PAGES = 20  # per poll: 20,000 changes; the rest on the next poll


@dataclass(frozen=True)
class Resolved:
    change: Change
    warehouse: str | None = None  # the record's warehouse code; None: unknown (every scope)
    facts: dict[str, str] = field(default_factory=dict)  # document, date, user, product, quantity, link

    def to_cause(self) -> dict[str, Any]:
        return {**self.change.to_data(), "warehouse": self.warehouse or "", **self.facts}


@dataclass(frozen=True)
class Batch:
    changes: list[Resolved]
    through: int | None  # the highest version read (the cursor may move there even when nothing changed)
    global_version: int | None
    skipped: int = 0  # malformed change log entries left out


def feed_of(connection: Connection) -> ChangeFeed:
    feed, _ = ChangeFeed.objects.get_or_create(connection=connection)
    return feed


def feed_view(connection: Connection) -> ChangeFeed:
    """The feed to show: the stored one, or an unsaved "off" one (reading never writes)."""
    return ChangeFeed.objects.filter(connection=connection).first() or ChangeFeed(connection=connection)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@contextmanager
def opened(connection: Connection, now: datetime) -> Iterator[Any]:
    """The connection's source (its ERP, or the in-process demo) for a few JSON requests, closed afterwards.
    Without retries and with a short timeout: feeds are read every few seconds on the control worker, which a
    failing ERP must not hold for minutes (the next read is the retry)."""
    timeout = min(float(connection.timeout_seconds or FEED_TIMEOUT_SECONDS), FEED_TIMEOUT_SECONDS)
    source = sources.open_source(connection, now, retries=0, timeout_seconds=timeout)
    try:
        yield source
    finally:
        source.close()


def read_new(connection: Connection, cursor: int | None, *, now: datetime) -> Batch:
    """Every change after ``cursor``, resolved. No cursor yet: only where the log stands (nothing is replayed)."""
    with opened(connection, now) as source:
        if cursor is None:
            first = change_log.read_changes(source, 0, 1)
            return Batch([], first.global_version, first.global_version)
        found: list[Change] = []
        skipped, global_version = 0, None
        position = cursor + 1  # the next version to read
        for _ in range(MAX_PAGES):
            page = change_log.read_changes(source, position)
            found += page.changes
            skipped += page.skipped
            global_version = page.global_version or global_version
            after = max(page.next_start or 0, page.changes[-1].version + 1 if page.changes else 0)
            if after <= position:
                break
            position = after
            if page.next_start is None:
                break
        return Batch(resolve(connection, source, found), position - 1, global_version, skipped)


def resolve(connection: Connection, source: JsonSource, changes: Iterable[Change]) -> list[Resolved]:
    """Each change with its record's warehouse and culprit facts (read once per record, at most a hundred)."""
    seen: dict[tuple[str, str], dict[str, Any] | None] = {}
    resolved = []
    for change in changes:
        key = (change.evidence, change.record)
        readable = change.operation != "delete" and change.evidence in RECORD_FIELDS and change.record
        if readable and key not in seen and len(seen) < MAX_RECORD_READS:
            seen[key] = change_log.record(source, change.evidence, change.record, RECORD_FIELDS[change.evidence])
        resolved.append(_resolved(connection, change, seen.get(key)))
    return resolved


def _resolved(connection: Connection, change: Change, found: dict[str, Any] | None) -> Resolved:
    if found is None:
        return Resolved(change)
    warehouse = relation(found.get("sklad")).get("kod") or None
    document = relation(found.get("doklSklad")) if change.evidence == "skladovy-pohyb-polozka" else dict(found)
    facts = {
        "document": str(document.get("kod") or "")[:100],
        "date": str(found.get("datVyst") or "")[:10],
        "user": relation(found.get("uzivatel")).get("kod", "")[:100],
        "product": relation(found.get("cenik")).get("kod", "")[:100],
        "quantity": _quantity(found.get("mnozMj")),
        "link": _link(connection, document.get("id")),
    }
    return Resolved(change, warehouse[:100] if warehouse else None, {k: v for k, v in facts.items() if v})


def _quantity(value: Any) -> str:
    try:
        return f"{float(value):g}" if value not in (None, "") else ""
    except (TypeError, ValueError):
        return ""


def _link(connection: Connection, document_id: Any) -> str:
    """The stock document in the ERP's web interface (Flexi serves its records as pages at the same paths)."""
    text = str(document_id or "")
    if connection.is_demo or not connection.base_url or not text.isdigit():
        return ""
    return f"{connection.base_url.rstrip('/')}/c/{connection.company}/skladovy-pohyb/{text}"


def check_log_enabled(connection: Connection, *, now: datetime) -> str:
    """A warning when the change log cannot be read (switched off, or no rights to it); "" when it can."""
    try:
        with opened(connection, now) as source:
            enabled = change_log.is_enabled(source)
    except ErpPermissionError:
        return "no rights to read the ERP's change log (HTTP 403): grant the API user access to the Changes API"
    except ErpError as exc:
        return f"the ERP's change log could not be read: {exc}"[:300]
    return "" if enabled else "the ERP's change log is not enabled (changes/status.json)"


def hook_path(connection: Connection, secret: str) -> str:
    return f"/hooks/flexi/{connection.name}/{secret}"


MODES = tuple(FeedMode.values)


class FeedModeError(ValueError):
    pass


def set_mode(connection: Connection, mode: str, *, now: datetime, rotate_secret: bool = False) -> ChangeFeed:
    """Switch the feed off, to polling or to hooks. Switched on from off, it starts from where the ERP's log
    stands now (changes before that are the next cron run's, never a replay of the months it was off); poll ↔
    hook keeps its cursor. The change log's state becomes the feed's warning. The ERP is asked first, then the
    feed is locked and only the fields set here are written (a concurrent read's cursor is never overwritten)."""
    if mode not in MODES:
        raise FeedModeError(f"change_feed: {mode!r} is not one of {', '.join(MODES)}")
    was = feed_of(connection)
    warning = check_log_enabled(connection, now=now) if mode != FeedMode.OFF else was.warning
    position, error = None, ""
    if mode != FeedMode.OFF and (was.mode == FeedMode.OFF or was.cursor is None) and not warning:
        try:
            position = read_new(connection, None, now=now)
        except ErpError as exc:
            error = str(exc)[:2000]
    with transaction.atomic():
        feed = ChangeFeed.objects.select_for_update().get(pk=was.pk)
        feed.mode, feed.updated_at, feed.warning = mode, now, warning
        changed = ["mode", "updated_at", "warning"]
        if mode == FeedMode.HOOK and (rotate_secret or not feed.hook_secret_encrypted):
            feed.hook_secret = new_secret()
            changed.append("hook_secret_encrypted")
        if position is not None:
            feed.cursor, feed.global_version, feed.last_read_at = position.through, position.global_version, now
            changed += ["cursor", "global_version", "last_read_at"]
        if error:
            feed.last_error, feed.last_error_at = error, now
            changed += ["last_error", "last_error_at"]
        feed.save(update_fields=changed)
    log.info("change_feed_mode", connection=connection.name, mode=mode, cursor=feed.cursor, warning=feed.warning)
    return feed
