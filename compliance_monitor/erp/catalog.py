"""A connection's catalog: the warehouses, goods groups and product types its ERP holds, read on demand.

:func:`refresh` reads ``sklad`` and ``skupina-zbozi`` whole (paged and proved as the client's ``Pager`` does, ids
distinct rather than rising), or the built-in company for the demo; product types are Flexi's ``typZasobyK`` values.
A failed refresh keeps the old lists, records ``error``/``error_at`` and raises :class:`CatalogRefreshError`. No
warehouses (or goods groups) is stored as read and said by :func:`warnings` (the API's and CLI's ``warnings``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import structlog

from compliance_monitor.erp import flexi, synthetic
from compliance_monitor.erp.client import FlexiClient, Pager
from compliance_monitor.erp.crypto import UndecryptableSecretError
from compliance_monitor.erp.flexi import ErpError, ErpIncompleteReadError, ErpMalformedResponseError
from compliance_monitor.erp.models import Catalog, Connection

log = structlog.get_logger(__name__)
Entry = dict[str, str]  # {"id", "code", "name"}, all strings; product types have the id ""
PRODUCT_TYPE_PREFIX = "typZasoby."
PRODUCT_TYPES = {  # Flexi's typZasobyK values (the cenik properties' select), in English
    **{"typZasoby.zbozi": "Goods", "typZasoby.material": "Material", "typZasoby.nedvyroba": "Work in progress"},
    **{"typZasoby.polotovar": "Semi-product", "typZasoby.vyrobek": "Product", "typZasoby.zvire": "Animal"},
    **{"typZasoby.sluzba": "Service", "typZasoby.poplatek": "Fee"},
}
GOODS_GROUP, PRODUCT_TYPE = "goods_group", "product_type"  # the rules' classify_by values
LISTS = ("warehouses", "goods_groups", "product_types")
MAX_CODE, MAX_NAME, MAX_ID_DIGITS, MAX_ERROR = 64, 255, 18, 1000
MAX_ROWS = 10_000  # per list: more warehouses or goods groups than this is a mistake, not a catalog


class CatalogRefreshError(Exception):
    """The ERP could not be read; ``message`` says why in plain words (never a password)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def catalog_of(connection: Connection) -> Catalog | None:
    """The stored catalog; a first refresh that failed leaves one with only its error (``refreshed_at`` None)."""
    return Catalog.objects.filter(connection=connection).first()


def has_catalog(connection: Connection) -> bool:
    """False means "catalog not read yet": nothing to judge a rule's codes by."""
    return Catalog.objects.filter(connection=connection, refreshed_at__isnull=False).exists()


def warnings(catalog: Catalog | None) -> list[str]:
    """What a read catalog lacks that rules need."""
    if catalog is None or catalog.refreshed_at is None:
        return []
    found = [] if catalog.warehouses else ["the ERP has no warehouses (sklad): there is nothing to check"]
    if not catalog.goods_groups:
        found.append("the ERP has no goods groups (skupina-zbozi): rules by goods group allow nothing")
    return found


def as_json(catalog: Catalog | None) -> dict[str, Any]:
    """The catalog as the API and the CLI show it; never read: empty lists and ``refreshed_at`` None."""
    lists = {name: [_entry(item, "code", "name") for item in _dicts(getattr(catalog, name, None))] for name in LISTS}
    if catalog is None:
        return {**lists, "refreshed_at": None, "error": "", "error_at": None, "warnings": []}
    when = {"refreshed_at": catalog.refreshed_at, "error": catalog.error, "error_at": catalog.error_at}
    return {**lists, **when, "warnings": warnings(catalog)}


def refresh(connection: Connection, *, now: datetime) -> Catalog:
    """Read the catalog and store it (``error`` cleared), or keep the old lists and raise with the reason."""
    try:
        warehouses, groups = _demo_lists() if connection.is_demo else _server_lists(connection)
    except (ErpError, UndecryptableSecretError) as exc:
        raise _failed(connection, str(exc), now) from None
    types = [{"id": "", "code": code, "name": name} for code, name in PRODUCT_TYPES.items()]
    lists = {"warehouses": warehouses, "goods_groups": groups, "product_types": types}
    catalog, _ = Catalog.objects.update_or_create(
        connection=connection, defaults={**lists, "refreshed_at": now, "error": "", "error_at": None}
    )
    log.info("erp_catalog_refreshed", connection=connection.name, warehouses=len(warehouses), goods_groups=len(groups))
    for warning in warnings(catalog):
        log.warning("erp_catalog_incomplete", connection=connection.name, warning=warning)
    return catalog


def unknown_codes(connection: Connection, warehouse_code: str, allowed: Iterable[Any], classify_by: str) -> list[str]:
    """The rule's codes the catalog does not know, the warehouse first; [] while there is no catalog to ask.

    Goods groups match by id or code; product types by code, with or without ``typZasoby.``.
    """
    catalog = catalog_of(connection)
    if catalog is None or catalog.refreshed_at is None:
        return []
    unknown = [warehouse_code] if warehouse_code and not _knows(catalog.warehouses, warehouse_code) else []
    if classify_by in (GOODS_GROUP, PRODUCT_TYPE):
        entries = catalog.goods_groups if classify_by == GOODS_GROUP else catalog.product_types
        prefix = PRODUCT_TYPE_PREFIX if classify_by == PRODUCT_TYPE else ""
        for value in filter(None, map(str, allowed)):
            if not _knows(entries, value if value.startswith(prefix) else prefix + value):
                unknown.append(value)
    return list(dict.fromkeys(unknown))


def _knows(entries: Any, value: str) -> bool:
    return any(value in (entry.get("code"), entry.get("id")) for entry in _dicts(entries))


def _failed(connection: Connection, message: str, now: datetime) -> CatalogRefreshError:
    with contextlib.suppress(UndecryptableSecretError):  # ERP errors carry no password by design: make sure
        message = message.replace(connection.password, "***") if connection.password else message
    message = message[:MAX_ERROR]
    catalog, _ = Catalog.objects.get_or_create(connection=connection)
    catalog.error, catalog.error_at = message, now
    catalog.save(update_fields=["error", "error_at"])
    log.warning("erp_catalog_refresh_failed", connection=connection.name, error=message)
    return CatalogRefreshError(message)


def _demo_lists() -> tuple[list[Entry], list[Entry]]:
    rows = [{"id": w.id, "kod": w.code, "nazev": w.name} for w in synthetic.Company.demo().warehouses]
    groups = [{"id": g.id, "kod": g.code, "nazev": g.name} for g in synthetic.GROUPS]
    return _sorted(map(_entry, rows)), _sorted(map(_entry, groups))


def _server_lists(connection: Connection) -> tuple[list[Entry], list[Entry]]:
    with _CatalogClient(connection.to_erp_config()) as client:
        return _read(client, "sklad"), _read(client, "skupina-zbozi")


def _read(client: FlexiClient, evidence: str) -> list[Entry]:
    pager, entries = _DistinctIds(client.config.page_size, MAX_ROWS), []
    while not pager.done:
        paging = {"limit": str(pager.limit), "start": str(pager.start), "order": "id", "add-row-count": "true"}
        body = client.get_json(f"{evidence}.json", {"detail": "custom:id,kod,nazev", **paging})
        rows, total = flexi.envelope(body, evidence)
        if total is not None and total > MAX_ROWS:
            raise ErpIncompleteReadError(f"the ERP announced {total:,} {evidence} records: more than a catalog holds")
        entries += [_entry(row) for row in pager.accept(rows, total)]
    return _sorted(entries)


class _CatalogClient(FlexiClient):
    """Names an HTML page (a login form, a proxy's page) as such, rather than as malformed JSON."""

    def _request(self, path: str, params: dict[str, str], method: str = "GET") -> bytes:
        body = super()._request(path, params, method)
        if body.lstrip()[:20].lower().startswith((b"<!doctype", b"<html")):
            where = f"{self._http.base_url}{path}"
            raise ErpMalformedResponseError(f"the ERP answered {where} with an HTML page, not JSON (a login form?)")
        return body


class _DistinctIds(Pager):
    """The client's proofs, with ids distinct instead of rising (a repeat means the server ignores ``start``)."""

    def __init__(self, limit: int, max_rows: int) -> None:
        super().__init__(limit, max_rows)
        self.seen: set[str] = set()

    def _check_ids(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            text = _id(row.get("id"))
            if not text:
                raise ErpIncompleteReadError(f"the ERP sent a record without a numeric id ({row.get('id')!r:.20})")
            if text in self.seen:
                raise ErpIncompleteReadError(f"the ERP sent record id {text} twice: it ignores 'start'")
            self.seen.add(text)


def _id(value: Any) -> str:
    """A numeric id as text (from ``"17"`` or ``17``), else ""."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return text if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS else ""


def _text(value: Any, limit: int) -> str:
    """ERP text as a bounded, printable string; anything but a string or a number is ""."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return "".join(char for char in str(value) if char.isprintable()).strip()[:limit]


def _entry(row: dict[str, Any], code: str = "kod", name: str = "nazev") -> Entry:
    """A Flexi record (``kod``, ``nazev``) or a stored entry (``code``, ``name``) as bounded strings."""
    return {"id": _id(row.get("id")), "code": _text(row.get(code), MAX_CODE), "name": _text(row.get(name), MAX_NAME)}


def _sorted(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda entry: (int(entry["id"] or 0), entry["code"]))


def _dicts(entries: Any) -> list[dict[str, Any]]:
    return [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []
