"""Check definition use cases: validate, create, change, delete, load for a run — every change a new version.

Field names are checked against the evidence's fields on the connections the definition is meant for (or the
installation's default connection), read from the ERP's ``/properties`` and kept with the connection's catalog
(``erp/properties.py``). When the ERP cannot be reached and nothing is kept, the local server's metadata of the same
evidence is used if it knows it (the common evidences), else the definition is refused, saying why.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import structlog
from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from compliance_monitor.checks import registry
from compliance_monitor.checks.base import CheckContext
from compliance_monitor.checks.defined import DefinedCheck
from compliance_monitor.checks.definition import Definition, DefinitionError, FieldsOf, parse
from compliance_monitor.checks.models import CheckDefinition, CheckDefinitionVersion
from compliance_monitor.checks.predicate import FieldType
from compliance_monitor.checks.texts import title_in
from compliance_monitor.erp import properties
from compliance_monitor.erp.connections import implied_connection
from compliance_monitor.erp.flexi import ErpError
from compliance_monitor.erp.models import Connection

log = structlog.get_logger(__name__)
PREVIEW_LIMIT = 50


class DefinitionNotFoundError(LookupError):
    pass


def validate(data: Any, *, now: datetime) -> Definition:
    """Parse and check ``data`` on the connections it is meant for; :class:`DefinitionError` names each wrong
    field."""
    errors: dict[str, list[str]] = {}
    name = data.get("name") if isinstance(data, Mapping) else None
    if name in registry.built_in_names():
        errors["name"] = [_("%(name)s is a built-in check's name; choose another") % {"name": repr(name)}]
    targets = _named_connections(data.get("connections") if isinstance(data, Mapping) else None, errors)
    definition: Definition | None = None
    for connection in targets:
        try:
            definition = parse(data, fields_reader(connection, now))
        except DefinitionError as exc:
            raise DefinitionError({**exc.errors, **errors}) from None
    if errors or definition is None:
        raise DefinitionError(errors or {"connections": [_("no connection to check the fields on")]})
    return definition


def _named_connections(names: Any, errors: dict[str, list[str]]) -> list[Connection]:
    if not names or not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return [implied_connection()]  # none named (or a wrong shape, which parse reports): the default
    found = list(Connection.objects.filter(name__in=names))
    unknown = set(names) - {connection.name for connection in found}
    if unknown:
        problem = ngettext("unknown connection(s): %(names)s", "unknown connection(s): %(names)s", len(unknown))
        errors["connections"] = [problem % {"names": ", ".join(sorted(unknown))}]
    return found or [implied_connection()]


def fields_reader(connection: Connection, now: datetime) -> FieldsOf:
    def fields_of(evidence: str) -> Mapping[str, FieldType] | None:
        try:
            return properties.fields_of(connection, evidence, now=now)
        except properties.UnknownEvidenceError:
            return None
        except ErpError as exc:
            try:
                answer = properties.local_answer(evidence)
            except properties.UnknownEvidenceError:
                problem = _("the fields of %(evidence)s cannot be read from %(connection)s now: %(error)s")
                where = {"evidence": repr(evidence), "connection": connection.name, "error": exc}
                raise DefinitionError({"evidence": [problem % where]}) from None
            log.warning("check_fields_from_local_metadata", connection=connection.name, evidence=evidence)
            return properties.parse(answer, evidence)

    return fields_of


def create(data: Any, *, now: datetime, by: str = "", shipped: bool = False) -> CheckDefinition:
    return store(validate(data, now=now), now=now, by=by, shipped=shipped)


def taken(name: str) -> bool:
    return CheckDefinition.objects.filter(name=name).exists()


def store(definition: Definition, *, now: datetime, by: str = "", shipped: bool = False) -> CheckDefinition:
    """A validated definition, stored as version 1 — or, for a name deleted before, the version after its last
    (results keep pointing at the versions they ran)."""
    if taken(definition.name):
        raise DefinitionError({"name": [_exists(definition.name)]})
    last = CheckDefinitionVersion.objects.filter(name=definition.name).aggregate(last=Max("version"))["last"] or 0
    try:
        with transaction.atomic():
            stored = CheckDefinition.objects.create(
                name=definition.name,
                version=last + 1,
                spec=definition.to_data(),
                enabled=definition.enabled,
                shipped=shipped,
                created_at=now,
                updated_at=now,
                updated_by=by,
            )
            _keep_version(stored, now, by)
    except IntegrityError:  # created at the same moment by someone else
        raise DefinitionError({"name": [_exists(definition.name)]}) from None
    log.info("check_definition_created", check=stored.name, version=stored.version, by=by)
    return stored


def _exists(name: str) -> str:
    return _("a check named %(name)s exists already: change that one") % {"name": repr(name)}


def update(stored: CheckDefinition, changes: Mapping[str, Any], *, now: datetime, by: str = "") -> CheckDefinition:
    """Apply ``changes`` (fields of the definition; ``None`` removes one); a change makes a new version, the same
    content does not. The name cannot change (jobs and alerts refer to it)."""
    with transaction.atomic():
        locked = CheckDefinition.objects.select_for_update().filter(pk=stored.pk).first()  # the latest version
        if locked is None:
            problem = _("no check definition named %(name)s (deleted meanwhile)")
            raise DefinitionNotFoundError(problem % {"name": repr(stored.name)})
        data = {**locked.spec, **changes}
        data = {key: value for key, value in data.items() if value is not None}
        if data.get("name") != locked.name:
            problem = _("cannot be changed (jobs and alerts refer to it): create a new check")
            raise DefinitionError({"name": [problem]})
        definition = validate(data, now=now)
        spec = definition.to_data()
        if spec == locked.spec:
            return locked
        locked.version += 1
        locked.spec, locked.enabled, locked.updated_at, locked.updated_by = spec, definition.enabled, now, by
        locked.save()
        _keep_version(locked, now, by)
    log.info("check_definition_updated", check=locked.name, version=locked.version, by=by)
    return locked


class DefinitionInUseError(Exception):
    pass


def delete(stored: CheckDefinition, *, now: datetime, by: str = "") -> None:
    """Gone from the list; its versions stay, so past results still say what they ran. A definition a job runs
    is refused (take it off the job first): the job would fail at its next run."""
    job_model = apps.get_model("jobs", "Job")  # jobs are a layer above: looked up, not imported
    using = sorted(job.name for job in job_model.objects.only("name", "checks") if stored.name in (job.checks or []))
    if using:
        problem = ngettext(
            "check %(name)s is run by job(s) %(jobs)s: take it off them first",
            "check %(name)s is run by job(s) %(jobs)s: take it off them first",
            len(using),
        )
        raise DefinitionInUseError(problem % {"name": repr(stored.name), "jobs": ", ".join(using)})
    log.info("check_definition_deleted", check=stored.name, version=stored.version, by=by, at=now.isoformat())
    stored.delete()


def named(name: str) -> CheckDefinition:
    found = CheckDefinition.objects.filter(name=name).first()
    if found is None:
        raise DefinitionNotFoundError(_("no check definition named %(name)s") % {"name": repr(name)})
    return found


def definition_of(stored: CheckDefinition) -> Definition:
    return parse(stored.spec, None)


def check_named(name: str) -> DefinedCheck | None:
    """The job engine's check for a stored definition, at its current version; None when there is none."""
    stored = CheckDefinition.objects.filter(name=name).first()
    return None if stored is None else DefinedCheck(definition_of(stored), stored.version)


def connections_of(data: Any) -> list[str]:
    """The connections plain definition data is meant for (none: every company), read leniently: access checks
    run before the data is validated."""
    names = data.get("connections") if isinstance(data, dict) else None
    return [names] if isinstance(names, str) else [n for n in names or [] if isinstance(n, str)]


def names() -> list[str]:
    return list(CheckDefinition.objects.values_list("name", flat=True))


def titles(language: str | None = None) -> dict[str, str]:
    """Each definition's title in ``language`` (default: the active one)."""
    return {stored.name: title_in(definition_of(stored), language) for stored in CheckDefinition.objects.all()}


def _targets(definition: Definition) -> list[Connection]:
    if definition.connections:
        return list(Connection.objects.filter(name__in=definition.connections))
    return [implied_connection()]


def _keep_version(stored: CheckDefinition, now: datetime, by: str) -> None:
    CheckDefinitionVersion.objects.create(
        name=stored.name, version=stored.version, spec=stored.spec, created_at=now, created_by=by
    )


def preview(
    definition: Definition, *, now: datetime, connection: Connection | None = None, limit: int = PREVIEW_LIMIT
) -> dict[str, Any]:
    """Evaluate ``definition`` now, store nothing, raise no alert: per scope its status, count and error; the
    first ``limit`` violations; the time taken."""
    target = connection or (_targets(definition) or [implied_connection()])[0]
    context = CheckContext(uuid.uuid4(), "preview", now, connection=target)
    started = time.monotonic()
    outcomes = DefinedCheck(definition, 0).run(context)
    violations = [v for outcome in outcomes for v in outcome.violations]
    return {
        "name": definition.name,
        "connection": target.name,
        "count": len(violations),
        "seconds": round(time.monotonic() - started, 3),
        "scopes": [
            {
                "scope": o.warehouse,
                "status": o.status.value,
                "count": len(o.violations),
                "rows_read": o.rows_read,
                "error": o.error,
            }
            for o in outcomes
        ],
        "violations": [
            {"scope": v.warehouse, "identity": v.product_code, "label": v.product_name, "message": v.legacy_text()}
            for v in violations[:limit]
        ],
    }
