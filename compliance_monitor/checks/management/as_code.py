"""``manage.py checks export|import|validate|preview|library``: checks as code, thin over ``checks/files.py``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone

from compliance_monitor import cli
from compliance_monitor.checks import definitions, files, library
from compliance_monitor.checks.definition import DefinitionError
from compliance_monitor.erp.flexi import ErpError
from compliance_monitor.erp.models import Connection

EXIT_INVALID = 2


def handle(action: str, options: dict[str, Any]) -> str:
    now = timezone.now()
    try:
        if action == "export":
            written = files.export(options["directory"])
            return f"wrote {len(written)} definition(s) to {options['directory']}"
        if action == "validate":
            found = files.check(options["directory"], now=now)
            return f"{len(found)} definition(s) valid: {', '.join(d.name for d in found.values())}"
        if action == "import":
            changes = files.apply(options["directory"], now=now, by="cli")
            return "\n".join(str(change) for change in changes)
        if action == "library":
            installed = library.install(now=now)
            return f"installed {len(installed)} definition(s): {', '.join(d.name for d in installed) or 'none new'}"
        return _preview(options, now)
    except files.FilesError as exc:
        raise CommandError(f"nothing changed — invalid definitions:\n{exc}", returncode=EXIT_INVALID) from None
    except DefinitionError as exc:
        raise CommandError(f"invalid definition — {exc}", returncode=EXIT_INVALID) from None
    except definitions.DefinitionNotFoundError as exc:
        raise CommandError(str(exc), returncode=EXIT_INVALID) from None
    except (ValidationError, ErpError) as exc:
        raise CommandError(f"the check could not run — {' '.join(getattr(exc, 'messages', [str(exc)]))}") from None


def _preview(options: dict[str, Any], now: Any) -> str:
    stored = definitions.named(options["name"])
    connection = None
    if options.get("connection"):
        connection = Connection.objects.filter(name=options["connection"]).first()
        if connection is None:
            raise CommandError(f"no ERP connection named {options['connection']!r}", returncode=EXIT_INVALID)
    found = definitions.preview(definitions.definition_of(stored), now=now, connection=connection)
    if options.get("json"):
        return cli.dumps(found)
    scopes = [(s["scope"], s["status"], s["count"], s["rows_read"], s["error"]) for s in found["scopes"]]
    lines = [cli.table(("scope", "status", "violations", "rows read", "error"), scopes)]
    lines += [f"  {v['scope']}: {v['message']}" for v in found["violations"]]
    lines.append(f"{found['count']} violation(s) in {found['seconds']} s on {found['connection']} — nothing stored")
    return "\n".join(lines)
