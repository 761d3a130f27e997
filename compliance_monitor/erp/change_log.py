"""Reading a company's change log (Flexi's Changes API) and managing its web hooks, through a connection's source.

The change log numbers every change of the company's database with a **version**, ascending with gaps. A page
(``changes.json?start=<v>&limit=<n>``, ``start`` inclusive) is parsed into :class:`Change` records — validated, as
all ERP data is untrusted: a version must be a whole number, an evidence a plain evidence name. A change names a
record only; :func:`record` reads it (a deleted or unreadable one is ``None``, never an error that drops the
change). Web hooks are registered with ``PUT hooks?url=…&format=JSON&lastVersion=…``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import structlog

from compliance_monitor.erp.flexi import ErpError, ErpMalformedResponseError, ErpResponseError, error_message

log = structlog.get_logger(__name__)

EVIDENCE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
OPERATIONS = frozenset({"create", "update", "delete"})
PAGE_LIMIT = 1000


class JsonSource(Protocol):
    def get_json(self, path: str, params: dict[str, str]) -> Any: ...

    def send(self, method: str, path: str, params: dict[str, str]) -> Any: ...


@dataclass(frozen=True)
class Change:
    version: int
    evidence: str
    record: str  # the record's id ("" when the ERP named none)
    operation: str  # create | update | delete
    timestamp: str = ""

    def to_data(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ChangePage:
    changes: tuple[Change, ...]
    global_version: int | None  # the company's latest version, when the ERP said
    next_start: int | None  # where the next page starts; None: nothing more for now
    skipped: int = 0  # malformed entries left out (logged): one bad entry must not stop the feed for ever


def parse_changes(body: Any) -> ChangePage:
    """A ``changes.json`` answer (or a hook's POST body) as changes in version order."""
    winstrom = body.get("winstrom") if isinstance(body, dict) else None
    if not isinstance(winstrom, dict):
        raise ErpMalformedResponseError("change log answer has no 'winstrom' envelope")
    if str(winstrom.get("success", "true")).lower() == "false":
        raise ErpResponseError(f"ERP refused to read its change log: {error_message(winstrom)}")
    listed = winstrom.get("changes") or []
    if not isinstance(listed, list):
        raise ErpMalformedResponseError("change log answer's 'changes' is not a list")
    parsed = [_parsed(entry) for entry in listed]
    changes = tuple(sorted((c for c in parsed if c is not None), key=lambda change: change.version))
    global_version = _version(winstrom["@globalVersion"], "@globalVersion") if winstrom.get("@globalVersion") else None
    return ChangePage(changes, global_version, _next(winstrom.get("next")), skipped=parsed.count(None))


def _parsed(entry: Any) -> Change | None:
    try:
        return _change(entry)
    except ErpMalformedResponseError as exc:
        log.warning("change_log_entry_skipped", error=str(exc))
        return None


def _change(entry: Any) -> Change:
    if not isinstance(entry, dict):
        raise ErpMalformedResponseError("a change log entry is not an object")
    evidence = str(entry.get("@evidence", ""))
    if not EVIDENCE_NAME.match(evidence):
        raise ErpMalformedResponseError(f"a change log entry names no valid evidence ({evidence[:40]!r})")
    operation = str(entry.get("@operation", "update"))
    record = str(entry.get("id", ""))
    if not record.isdigit() and record != "":
        raise ErpMalformedResponseError(f"a change log entry has an invalid id ({record[:40]!r})")
    timestamp = str(entry.get("@timestamp", ""))[:40]
    version = _version(entry.get("@in-version"), "@in-version")
    return Change(version, evidence, record, operation if operation in OPERATIONS else "update", timestamp)


def _version(value: Any, name: str) -> int:
    text = str(value)
    if not text.isdigit() or len(text) > 18:
        raise ErpMalformedResponseError(f"change log {name} {text[:40]!r} is not a version number")
    return int(text)


def _next(value: Any) -> int | None:
    """``next`` as a version; not a number ("none"): nothing more now (the reader goes on after the highest seen)."""
    text = str(value or "")
    if text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def read_changes(source: JsonSource, start: int, limit: int = PAGE_LIMIT) -> ChangePage:
    return parse_changes(source.get_json("changes.json", {"start": str(start), "limit": str(limit)}))


def is_enabled(source: JsonSource) -> bool:
    """Whether the company's change log is switched on (``changes/status.json``); 403 raises ErpPermissionError."""
    body = source.get_json("changes/status.json", {})
    winstrom = body.get("winstrom") if isinstance(body, dict) else None
    if not isinstance(winstrom, dict):
        raise ErpMalformedResponseError("change log status has no 'winstrom' envelope")
    nested = winstrom.get("changes")
    if isinstance(nested, list) and nested and isinstance(nested[0], dict):  # the XML shape, converted
        winstrom = nested[0]
    return str(winstrom.get("success", "false")).lower() == "true"


def record(source: JsonSource, evidence: str, record_id: str, fields: str) -> dict[str, Any] | None:
    """The changed record's ``fields`` (``custom:`` detail), or None when it is gone or cannot be read."""
    if not EVIDENCE_NAME.match(evidence) or not record_id.isdigit():
        return None
    try:
        body = source.get_json(f"{evidence}/{record_id}.json", {"detail": f"custom:{fields}"})
    except ErpError:
        return None  # deleted since, or not ours to read: the caller widens to every scope
    rows = (body.get("winstrom") or {}).get(evidence) if isinstance(body, dict) else None
    return rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None


def register_hook(source: JsonSource, url: str, last_version: int | None) -> None:
    params = {"url": url, "format": "JSON"}
    if last_version is not None:
        params["lastVersion"] = str(last_version)
    _succeeded(source.send("PUT", "hooks.json", params), "register the web hook")


def hooks(source: JsonSource) -> list[dict[str, str]]:
    body = source.get_json("hooks.json", {})
    listed = (body.get("winstrom") or {}).get("hooks") if isinstance(body, dict) else None
    if not isinstance(listed, list):
        raise ErpMalformedResponseError("hooks answer has no list of hooks")
    found = [hook for hook in listed if isinstance(hook, dict)]
    return [{"id": str(hook.get("id", "")), "url": str(hook.get("url", ""))} for hook in found]


def remove_hook(source: JsonSource, hook_id: str) -> None:
    if not hook_id.isdigit():
        raise ErpResponseError(f"hook id {hook_id[:40]!r} is not a number")
    _succeeded(source.send("DELETE", f"hooks/{hook_id}.json", {}), "remove the web hook")


def _succeeded(body: Any, what: str) -> None:
    winstrom = body.get("winstrom") if isinstance(body, dict) else None
    if isinstance(winstrom, dict) and str(winstrom.get("success", "true")).lower() == "false":
        raise ErpResponseError(f"ERP refused to {what}: {error_message(winstrom)}")
