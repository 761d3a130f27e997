"""Config audit: who changed which job, warehouse rule, recipient, maintenance window, API token, ERP connection or
user's access per company — when, and every field before → after (django-auditlog).

Only configuration is audited: a job's run counters, lease and next run change at every run and are left
out; a token's hash is never recorded and a recipient's Apprise URL (it holds webhook tokens) is masked.
Web requests name their user through auditlog's middleware; API calls authenticated by a bearer token are
named by :func:`attribute_to` (ninja authenticates after the middleware ran); a command line names its
caller with :func:`recorded_as`. Changes made otherwise (the engine, Celery tasks) show as ``system``.
Entries are deleted with the execution history, after ``CM_EXECUTION_RETENTION_DAYS`` (``jobs/retention.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, overload

from auditlog.context import auditlog_value, set_actor, set_extra_data
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

from compliance_monitor.jobs.models import JOB_SETTINGS

MASK = "***"
SYSTEM = "system"
ACTIONS = {LogEntry.Action.CREATE: "create", LogEntry.Action.UPDATE: "update", LogEntry.Action.DELETE: "delete"}


@dataclass(frozen=True)
class Audited:
    key: str  # how the API and the dashboard name the model: ?model=job
    model: str  # app_label.ModelName
    lookup: str  # the field naming an object: ?object=NAME ("pk": its id)
    fields: tuple[str, ...] = ()  # audited fields; empty: every concrete field but the id and ``exclude``
    exclude: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()  # audited as changed, never with their value
    repr_of: str = "{}"  # how an object's repr holds its ``?object=`` name: finds deleted ones too

    @property
    def model_class(self) -> type[Model]:
        return apps.get_model(self.model)

    def options(self) -> dict[str, Any]:
        skip = {"id", *self.exclude}
        fields = self.fields or tuple(f.name for f in self.model_class._meta.concrete_fields if f.name not in skip)
        masked = {"mask_fields": list(self.secrets), "mask_callable": f"{__name__}.mask_secret"} if self.secrets else {}
        return {"include_fields": list(fields), **masked}


AUDITED = (
    Audited("job", "jobs.Job", "name", fields=("name", *JOB_SETTINGS, "enabled", "disabled_reason")),
    Audited("rule", "checks.WarehouseRule", "warehouse_code"),
    Audited("exception", "checks.AcceptedException", "identity"),
    Audited("recipient", "notifications.Recipient", "name", secrets=("apprise_url",)),
    Audited("maintenance", "notifications.MaintenanceWindow", "pk"),
    Audited("token", "api.ApiToken", "prefix", exclude=("key_hash", "last_used_at")),
    Audited(
        "connection",
        "erp.Connection",
        "name",
        exclude=("last_test_result", "last_tested_at", "created_at", "updated_at"),
        secrets=("password_encrypted",),
    ),
    # A user's access per company (``accounts.ConnectionAccess``): ?object=USERNAME; "clerk → a" as its repr.
    Audited("access", "accounts.ConnectionAccess", "user__username", repr_of="{} → "),
)
MODEL_KEYS = tuple(audited.key for audited in AUDITED)


def register() -> None:
    """Called once the apps are ready (``ApiConfig.ready``)."""
    for audited in AUDITED:
        auditlog.register(audited.model_class, **audited.options())


def mask_secret(value: str) -> str:
    """A secret's change is recorded, never its value (auditlog masks half a string by default)."""
    return MASK if value and value != "None" else ""


def attribute_to(user: Any) -> None:
    """Name ``user`` as the actor of what the current request changes.

    auditlog's middleware read ``request.user`` before django-ninja authenticated a bearer token, so it
    holds the anonymous user; its context for this request is updated in place (a new request gets a new one).
    """
    try:
        context = auditlog_value.get()
    except LookupError:
        return  # not inside a request through auditlog's middleware
    context["actor"] = user


@contextmanager
def recorded_as(name: str) -> Iterator[None]:
    """Outside web requests (the CLI, a script): changes made inside are attributed to the user called ``name``,
    or, when there is none, recorded with that name."""
    user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: name}).first()
    with set_actor(user) if user is not None else set_extra_data({"additional_data": {"by": name}}):
        yield


def entries(*, model: str | None = None, name: str | None = None) -> Trail:
    """Recorded changes, newest first, of one kind of configuration (``model``) and one object (``name``)."""
    if model is not None and model not in MODEL_KEYS:
        raise ValidationError({"model": [f"one of {', '.join(MODEL_KEYS)}"]})
    scope = Q(pk__in=[])
    for audited in AUDITED:
        if model in (None, audited.key):
            scope |= _scope(audited, name)
    return Trail(LogEntry.objects.filter(scope).select_related("actor").order_by("-timestamp", "-pk"))


def _scope(audited: Audited, name: str | None) -> Q:
    scope = Q(content_type=ContentType.objects.get_for_model(audited.model_class))
    if not name:
        return scope
    if audited.lookup == "pk":
        return scope & Q(object_pk=name)
    live = audited.model_class._default_manager.filter(**{audited.lookup: name}).values_list("pk", flat=True)
    named = audited.repr_of.format(name)  # the repr finds objects deleted since
    deleted = Q(object_repr=named) if audited.repr_of == "{}" else Q(object_repr__startswith=named)
    return scope & (Q(object_pk__in=[str(pk) for pk in live]) | deleted)


class Trail:
    """Entries described as plain data, page by page: what ninja's and Django's paginators slice."""

    def __init__(self, log: QuerySet[LogEntry]) -> None:
        self.log = log

    def count(self) -> int:
        return self.log.count()

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [describe(entry) for entry in self.log[index]]
        return describe(self.log[index])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (describe(entry) for entry in self.log.iterator())


KEYS = {tuple(audited.model.lower().split(".")): audited.key for audited in AUDITED}


def describe(entry: LogEntry) -> dict[str, Any]:
    content_type = ContentType.objects.get_for_id(entry.content_type_id)  # cached
    return {
        "id": entry.pk,
        "who": who(entry),
        "when": entry.timestamp,
        "action": ACTIONS.get(entry.action, str(entry.action)),
        "model": KEYS.get((content_type.app_label, content_type.model), content_type.model),
        "object": entry.object_repr,
        "object_id": entry.object_pk,
        "changes": changes(entry),
    }


def who(entry: LogEntry) -> str:
    if entry.actor is not None:
        return str(entry.actor.get_username())
    named = entry.additional_data.get("by") if isinstance(entry.additional_data, dict) else None
    return str(named or entry.actor_email or SYSTEM)  # the e-mail outlives a deleted user


def changes(entry: LogEntry) -> dict[str, list[Any]]:
    """``{field: [before, after]}``; before is null for a created object, after for a deleted one."""
    found: dict[str, Any] = entry.changes_dict
    return {
        name: list(values) if isinstance(values, list | tuple) and len(values) == 2 else [None, values]
        for name, values in found.items()
    }
