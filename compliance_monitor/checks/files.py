"""Checks as code: definitions as YAML files, one per definition (``<name>.yaml``), for review in git.

:func:`export` writes them; :func:`check` validates a folder (for the user's own CI); :func:`apply` validates every
file first and then applies all of them in one transaction, or nothing. Applying creates what is new and changes
what differs (a new version); a definition with no file is left alone — removing one is a decision, not a side
effect of a missing file. The round trip is lossless: export, then apply, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from compliance_monitor.checks import definitions
from compliance_monitor.checks.definition import Definition, DefinitionError
from compliance_monitor.checks.models import CheckDefinition


class FilesError(Exception):
    """``problems``: file name → what is wrong with it (every file, not the first only)."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        lines = [f"{name}: {problem}" for name, found in problems.items() for problem in found]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Change:
    name: str
    action: str  # "created", "updated", "unchanged"
    version: int

    def __str__(self) -> str:
        return f"{self.action} {self.name} (version {self.version})"


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for stored in CheckDefinition.objects.all():
        path = directory / f"{stored.name}.yaml"
        path.write_text(dump(stored.spec), encoding="utf-8")
        written.append(path)
    return written


def dump(spec: dict[str, Any]) -> str:
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=120)


def check(directory: Path, *, now: datetime) -> dict[str, Definition]:
    """Every file's definition, by file name; :class:`FilesError` lists every problem of every file."""
    problems: dict[str, list[str]] = {}
    found: dict[str, Definition] = {}
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not paths:
        raise FilesError({str(directory): ["no .yaml files here"]})
    for path in paths:
        try:
            found[path.name] = definitions.validate(yaml.safe_load(path.read_text(encoding="utf-8")), now=now)
        except yaml.YAMLError as exc:
            problems[path.name] = [f"not YAML: {exc}".replace("\n", " ")]
        except (DefinitionError, UnicodeDecodeError) as exc:
            errors = getattr(exc, "errors", {"file": [str(exc)]})
            problems[path.name] = [f"{field}: {problem}" for field, found_ in errors.items() for problem in found_]
    names = [definition.name for definition in found.values()]
    for name in {name for name in names if names.count(name) > 1}:
        problems.setdefault("(folder)", []).append(f"{name!r} is defined by more than one file")
    if problems:
        raise FilesError(problems)
    return found


def apply(directory: Path, *, now: datetime, by: str = "") -> list[Change]:
    """All or nothing: every file valid, then every change in one transaction."""
    found = check(directory, now=now)
    changes = []
    with transaction.atomic():
        for definition in found.values():
            stored = CheckDefinition.objects.filter(name=definition.name).first()
            if stored is None:
                changes.append(
                    Change(definition.name, "created", definitions.store(definition, now=now, by=by).version)
                )
                continue
            updated = definitions.update(stored, _replacing(stored.spec, definition), now=now, by=by)
            changes.append(
                Change(
                    definition.name, "updated" if updated.version != stored.version else "unchanged", updated.version
                )
            )
    return changes


def _replacing(old: dict[str, Any], new: Definition) -> dict[str, Any]:
    """The file is the whole definition: fields it leaves out go back to their defaults."""
    data = new.to_data()
    return {**{key: None for key in old if key not in data}, **data}
