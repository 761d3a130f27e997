"""An evidence's fields and their types, from ABRA Flexi's ``/c/<co>/<evidence>/properties.json``.

Check definitions are validated against them (an unknown field is a mistake found before any run) and the predicate
reads each field by its type. Read once per connection and evidence and kept with the connection's catalog for
:data:`MAX_AGE`; a stale entry is still used when the ERP cannot be reached (and said so in the log). The demo
company answers from the local Flexi-format server's own metadata, in-process.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import structlog

from compliance_monitor.erp import flexi
from compliance_monitor.erp.client import FlexiClient
from compliance_monitor.erp.models import Catalog, Connection

log = structlog.get_logger(__name__)
MAX_AGE = timedelta(hours=24)
Fields = dict[str, Any]  # field name → the predicate's type (checks/predicate.py FieldType; erp cannot import it)
TYPES = {
    **{"integer": "integer", "numeric": "numeric", "string": "text", "date": "date", "datetime": "date"},
    **{"logic": "logic", "select": "select", "relation": "relation"},
}


class UnknownEvidenceError(flexi.ErpError):
    """The ERP has no such evidence (or no properties for it)."""


# Computed per request, not stored records: their fields are fixed by the API (reference/abra-flexi.md), not by
# each company's /properties — known without asking, so the original reports cost a run no extra request.
FIXED = frozenset({"stav-skladu-k-datu"})


def fields_of(connection: Connection, evidence: str, *, now: datetime) -> Fields:
    """``evidence``'s fields on ``connection``; :class:`UnknownEvidenceError` if it has none, or an ``ErpError``
    when they cannot be read and none are kept."""
    if connection.is_demo or evidence in FIXED:
        return parse(_demo_answer(evidence), evidence)
    catalog, _ = Catalog.objects.get_or_create(connection=connection)
    kept = (catalog.properties or {}).get(evidence)
    if isinstance(kept, dict) and _fresh(kept, now):
        return cast(Fields, kept["fields"])
    try:
        fields = _read(connection, evidence)
    except UnknownEvidenceError:
        raise
    except flexi.ErpError as exc:
        if isinstance(kept, dict):
            log.warning("erp_properties_stale", connection=connection.name, evidence=evidence, problem=str(exc))
            return cast(Fields, kept["fields"])
        raise
    catalog.properties = {**(catalog.properties or {}), evidence: {"at": now.isoformat(), "fields": fields}}
    catalog.save(update_fields=["properties"])
    return fields


def parse(body: Any, evidence: str) -> Fields:
    """Field → type from a ``properties.json`` answer: ``{"properties": {"property": [{"propertyName": …,
    "type": …}, …]}}``; types we do not know read as text."""
    if isinstance(body, dict) and isinstance(body.get("winstrom"), dict):  # wrapped or not: unverified which
        body = body["winstrom"]
    holder = body.get("properties") if isinstance(body, dict) else None
    items = holder.get("property") if isinstance(holder, dict) else None
    if not isinstance(items, list) or not items:
        raise UnknownEvidenceError(f"the ERP has no fields for evidence {evidence!r}")
    fields: Fields = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("propertyName"), str):
            fields[item["propertyName"]] = TYPES.get(str(item.get("type", "")).lower(), "text")
    if not fields:
        raise UnknownEvidenceError(f"the ERP has no fields for evidence {evidence!r}")
    return fields


def _read(connection: Connection, evidence: str) -> Fields:
    config = connection.to_erp_config(retries=0)  # asked while someone waits for a validation: fail fast
    with FlexiClient(config) as client:
        try:
            body = client.properties(evidence)
        except flexi.ErpResponseError as exc:
            if "404" in str(exc):
                raise UnknownEvidenceError(f"the ERP has no evidence {evidence!r}") from None
            raise
    return parse(body, evidence)


def _demo_answer(evidence: str) -> Any:
    return local_answer(evidence)


def local_answer(evidence: str) -> Any:
    """The local Flexi-format server's metadata of ``evidence`` (the demo company's, and the common evidences')."""
    from compliance_monitor.erp import flexi_properties

    if flexi_properties.properties(evidence) is None:
        raise UnknownEvidenceError(f"no evidence {evidence!r} here")
    return flexi_properties.answer(evidence)


def _fresh(kept: dict[str, Any], now: datetime) -> bool:
    try:
        return now - datetime.fromisoformat(str(kept["at"])) < MAX_AGE and isinstance(kept["fields"], dict)
    except (KeyError, ValueError, TypeError):
        return False
