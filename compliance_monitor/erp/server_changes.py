"""The local Flexi-format server's writes and change log: bookings (``skladovy-pohyb``), ``changes.json``, the
Changes API switch and web hooks — the subset of the Changes API and Web Hooks articles compliance-monitor uses.

``route`` answers ``(status, payload)`` for the paths it knows and ``None`` for every other one (the read-only
evidences of :mod:`.server`). Hooks are called by :func:`deliver` after a booking, as Flexi does "within seconds":
each registered URL gets, as a JSON POST, every change after the last one it accepted.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from compliance_monitor.erp import bookings
from compliance_monitor.erp.synthetic import Company

if TYPE_CHECKING:
    from compliance_monitor.erp.server import FlexiState

Answer = tuple[int, dict[str, Any]]
HOOK_TIMEOUT_SECONDS = 5.0


def route(
    state: FlexiState, company: Company, rest: str, params: dict[str, str], method: str, body: bytes | None
) -> Answer | None:
    log = state.log(company)
    rest = rest.removesuffix(".json").removesuffix(".xml")
    if rest in ("changes", "changes/status", "changes/enable", "changes/disable"):
        return _changes(log, rest, params, method)
    if rest == "hooks" or rest.startswith("hooks/"):
        return _hooks(log, rest, params, method)
    if rest == bookings.DOCUMENT and method in ("PUT", "POST"):
        return _book(state, company, body)
    evidence, _, record = rest.partition("/")
    if evidence in (bookings.DOCUMENT, bookings.LINE) and record.isdigit() and method == "GET":
        found = log.record(evidence, int(record))
        if found is None:
            return _error(404, f"Záznam {record} v evidenci {evidence!r} neexistuje")
        return 200, {"winstrom": {"@version": "1.0", evidence: [found]}}
    return None


def _changes(log: bookings.ChangeLog, rest: str, params: dict[str, str], method: str) -> Answer:
    if rest in ("changes/enable", "changes/disable") and method in ("PUT", "POST"):
        log.enabled = rest == "changes/enable"
        return _success()
    if rest == "changes/status":
        return 200, {"winstrom": {"@version": "1.0", "success": "true" if log.enabled else "false"}}
    if not log.enabled:
        return _error(400, "Changes API není zapnuto (changes/enable)")
    try:
        start, limit = int(params.get("start", "0")), int(params.get("limit", "100"))
    except ValueError:
        return _error(400, "Parametry 'start' a 'limit' musí být čísla")
    return 200, log.changes(start, min(max(limit, 1), 1000))


def _hooks(log: bookings.ChangeLog, rest: str, params: dict[str, str], method: str) -> Answer:
    if rest == "hooks" and method == "GET":
        listed = [{"id": str(n), "url": url, "format": "JSON"} for n, url in log.hooks.items()]
        return 200, {"winstrom": {"@version": "1.0", "hooks": listed}}
    if rest == "hooks" and method in ("PUT", "POST"):
        if not log.enabled:
            return _error(400, "Web hooks need the Changes API switched on")
        url = params.get("url", "")
        if not url.startswith(("http://", "https://")) or params.get("format", "JSON").upper() != "JSON":
            return _error(400, "Parametr 'url' (http/https) je povinný, 'format' musí být JSON")
        hook = max(log.hooks, default=0) + 1
        log.hooks[hook] = url
        last = params.get("lastVersion", "")
        log.sent[hook] = int(last) if last.isdigit() else log.global_version
        return _success()
    named = rest.removeprefix("hooks/")
    if method == "DELETE" and named.isdigit() and int(named) in log.hooks:
        del log.hooks[int(named)]
        return _success()
    return _error(404, f"Hook {named!r} neexistuje")


def _book(state: FlexiState, company: Company, body: bytes | None) -> Answer:
    try:
        warehouse, lines = bookings.parse_document(json.loads(body or b"null"))
        log = state.log(company)
        with state.lock:
            booking = log.book(company, warehouse, lines, user=state.username, now=datetime.now())
    except (ValueError, bookings.BookingError) as exc:
        return _error(400, str(exc))
    ref = f"/c/{company.code}/{bookings.DOCUMENT}/{booking.id}.json"
    results = [{"id": str(booking.id), "ref": ref}]
    return 200, {"winstrom": {"@version": "1.0", "success": "true", "stats": {"created": "1"}, "results": results}}


def deliver(log: bookings.ChangeLog, lock: threading.Lock) -> None:
    """POST every registered hook the changes it has not accepted yet (a failed call is tried at the next one)."""
    with lock:
        due = [(hook, url, log.sent.get(hook, 0)) for hook, url in log.hooks.items()]
    for hook, url, sent in due:
        payload = log.changes(sent + 1, 1000)
        if not payload["winstrom"]["changes"]:
            continue
        try:
            accepted = httpx.post(url, json=payload, timeout=HOOK_TIMEOUT_SECONDS).is_success
        except httpx.HTTPError:
            accepted = False
        if accepted:
            with lock:
                log.sent[hook] = int(payload["winstrom"]["changes"][-1]["@in-version"])


def _success() -> Answer:
    return 200, {"winstrom": {"@version": "1.0", "success": "true"}}


def _error(status: int, message: str) -> Answer:
    return status, {"winstrom": {"@version": "1.0", "success": "false", "message": message}}
