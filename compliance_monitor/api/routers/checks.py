"""/api/v1/checks — check definitions (checks as data): list, create, read, change, delete, preview.

A body is the definition itself, as in its YAML file (``checks/definition.py``); a mistake is a 422 naming the field
(``loc: ["body", "predicate"]``). Preview evaluates the definition now and stores nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Body, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from compliance_monitor.accounts import access
from compliance_monitor.accounts.roles import Role
from compliance_monitor.api.routers.common import ERRORS, actor
from compliance_monitor.checks import definitions, registry
from compliance_monitor.checks.definition import DefinitionError
from compliance_monitor.checks.models import CheckDefinition
from compliance_monitor.erp.flexi import ErpError

router = Router(tags=["checks"])


class CheckOut(Schema):
    name: str
    version: int
    enabled: bool
    shipped: bool = Field(..., description="Installed from the rule library.")
    title: str
    definition: dict[str, Any] = Field(..., description="The definition, as its YAML file holds it.")
    updated_at: datetime
    updated_by: str


class BuiltInOut(Schema):
    name: str


class ScopePreviewOut(Schema):
    scope: str
    status: str
    count: int
    rows_read: int | None
    error: str


class ViolationPreviewOut(Schema):
    scope: str
    identity: str
    label: str
    message: str


class PreviewOut(Schema):
    name: str
    connection: str
    count: int
    seconds: float
    scopes: list[ScopePreviewOut]
    violations: list[ViolationPreviewOut] = Field(..., description="The first 50.")


def out(stored: CheckDefinition) -> dict[str, Any]:
    definition = definitions.definition_of(stored)
    return {
        **{name: getattr(stored, name) for name in ("name", "version", "enabled", "shipped", "updated_at")},
        "updated_by": stored.updated_by,
        "title": definition.title_in(),
        "definition": stored.spec,
    }


def stored_or_404(request: HttpRequest, name: str) -> CheckDefinition:
    """A definition the user may see: one for every company, or for companies of theirs (else a 404, as if none)."""
    try:
        stored = definitions.named(name)
    except definitions.DefinitionNotFoundError as exc:
        raise HttpError(404, str(exc)) from None
    if not access.may_see_across(request.user, definitions.connections_of(stored.spec)):
        raise HttpError(404, _("no check definition named %(name)s") % {"name": repr(name)})
    return stored


def may_write(request: HttpRequest, data: Any) -> None:
    """A user limited to some companies writes only definitions meant for those (one for every company would
    change what the others' jobs find)."""
    if not access.may_change_across(request.user, definitions.connections_of(data)):
        raise HttpError(403, _("your access is limited to some companies: name them in 'connections'"))


def invalid(exc: DefinitionError) -> ValidationError:
    return ValidationError(exc.errors)


@router.get("", response={200: list[CheckOut], **ERRORS}, summary="All check definitions")
def list_checks(request: HttpRequest) -> list[dict[str, Any]]:
    actor(request, Role.VIEWER)
    user = request.user
    return [
        out(s) for s in CheckDefinition.objects.all() if access.may_see_across(user, definitions.connections_of(s.spec))
    ]


@router.get("/built-in", response={200: list[BuiltInOut], **ERRORS}, summary="Checks that are code, not data")
def built_in_checks(request: HttpRequest) -> list[dict[str, str]]:
    actor(request, Role.VIEWER)
    return [{"name": name} for name in registry.built_in_names()]


@router.post("", response={201: CheckOut, **ERRORS}, summary="Add a check definition")
def create_check(request: HttpRequest, body: Body[dict[str, Any]]) -> Status[dict[str, Any]]:
    by = actor(request, Role.ADMIN)
    may_write(request, body)
    try:
        stored = definitions.create(body, now=timezone.now(), by=by)
    except DefinitionError as exc:
        if "exists already" in " ".join(exc.errors.get("name", [])):
            raise HttpError(409, exc.errors["name"][0]) from None
        raise invalid(exc) from None
    return Status(201, out(stored))


@router.get("/{name}", response={200: CheckOut, **ERRORS}, summary="One check definition")
def get_check(request: HttpRequest, name: str) -> dict[str, Any]:
    actor(request, Role.VIEWER)
    return out(stored_or_404(request, name))


@router.patch("/{name}", response={200: CheckOut, **ERRORS}, summary="Change a check definition (a new version)")
def update_check(request: HttpRequest, name: str, body: Body[dict[str, Any]]) -> dict[str, Any]:
    by = actor(request, Role.ADMIN)
    stored = stored_or_404(request, name)
    may_write(request, stored.spec)
    may_write(request, {**stored.spec, **body})
    try:
        return out(definitions.update(stored, body, now=timezone.now(), by=by))
    except DefinitionError as exc:
        raise invalid(exc) from None
    except definitions.DefinitionNotFoundError as exc:  # deleted meanwhile
        raise HttpError(404, str(exc)) from None


@router.delete("/{name}", response={204: None, **ERRORS}, summary="Remove a check definition")
def delete_check(request: HttpRequest, name: str) -> Status[None]:
    by = actor(request, Role.ADMIN)
    stored = stored_or_404(request, name)
    may_write(request, stored.spec)
    try:
        definitions.delete(stored, now=timezone.now(), by=by)
    except definitions.DefinitionInUseError as exc:
        raise HttpError(409, str(exc)) from None
    return Status(204, None)


@router.post("/{name}/preview", response={200: PreviewOut, **ERRORS}, summary="Evaluate now; store nothing")
def preview_check(request: HttpRequest, name: str, connection: str | None = None) -> dict[str, Any]:
    """The stored definition, or — with a JSON body ``{"definition": {…}}`` — unsaved changes to it, evaluated on
    ``connection`` (default: the definition's first, or the installation's default)."""
    actor(request, Role.OPERATOR)
    stored = stored_or_404(request, name)
    data = {**stored.spec, **_changes(request), "name": stored.name}
    try:
        target = access.preview_connection(request.user, definitions.connections_of(data), connection)
    except Http404 as exc:
        raise HttpError(404, str(exc)) from None
    try:
        definition = definitions.validate(data, now=timezone.now())
        return definitions.preview(definition, now=timezone.now(), connection=target)
    except DefinitionError as exc:
        raise invalid(exc) from None
    except (ValidationError, ErpError) as exc:
        problems = "; ".join(getattr(exc, "messages", [str(exc)]))
        raise HttpError(409, _("the check could not run: %(problems)s") % {"problems": problems}) from None


def _changes(request: HttpRequest) -> dict[str, Any]:
    """A preview's optional body: ``{"definition": {field: value, …}}``; no body previews the stored one."""
    if not request.body.strip() or ((request.content_type or "").startswith("multipart/") and not request.POST):
        return {}  # no body (an empty form counts as none)
    if request.content_type != "application/json":
        raise HttpError(415, _('send the changes to preview as application/json: {"definition": {…}}'))
    try:
        body = json.loads(request.body)
    except ValueError:
        raise HttpError(400, _('the body must be JSON: {"definition": {…}}')) from None
    changes = body.get("definition", {}) if isinstance(body, dict) else None
    if not isinstance(changes, dict):
        raise ValidationError({"definition": ["must be an object of the definition's fields"]})
    return changes
