"""The rule library: check definitions shipped as YAML files (``checks/library/*.yaml``), not code.

:func:`install` adds each shipped definition the installation does not have yet, by name; one that exists — shipped
earlier, or the user's own of the same name — is left as it is, so an upgrade never overwrites anyone's edits.
Shipped definitions read the common evidences only, so they are checked against the local server's field metadata
(the same facts as Flexi's ``/properties``) and installing needs no ERP.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from compliance_monitor.checks import definitions
from compliance_monitor.checks.definition import Definition, parse
from compliance_monitor.checks.models import CheckDefinition, CheckDefinitionVersion
from compliance_monitor.erp import properties

LIBRARY = Path(__file__).with_name("library")


def shipped() -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(LIBRARY.glob("*.yaml"))]


def parsed() -> list[Definition]:
    return [parse(data, _local_fields) for data in shipped()]


def install(*, now: datetime) -> list[CheckDefinition]:
    """The shipped definitions never installed yet, installed; returns them. One the installation deleted stays
    deleted (its versions remember it)."""
    have = set(CheckDefinitionVersion.objects.values_list("name", flat=True))
    have |= set(CheckDefinition.objects.values_list("name", flat=True))
    return [
        definitions.store(definition, now=now, by="library", shipped=True)
        for definition in parsed()
        if definition.name not in have
    ]


def _local_fields(evidence: str) -> Any:
    try:
        return properties.parse(properties.local_answer(evidence), evidence)
    except properties.UnknownEvidenceError:
        return None
