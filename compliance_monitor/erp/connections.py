"""Connection use cases: create, change, remove, and the connections every installation starts with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import translation

from compliance_monitor.erp.crypto import UndecryptableSecretError
from compliance_monitor.erp.models import CONNECTION_SETTINGS, DEFAULT_NAME, DEMO_NAME, Connection

log = structlog.get_logger(__name__)
EDITABLE = frozenset(CONNECTION_SETTINGS)


class ConnectionExistsError(Exception):
    pass


def create_connection(*, now: datetime, name: str, **fields: Any) -> Connection:
    if Connection.objects.filter(name=name).exists():
        raise ConnectionExistsError(f"a connection named {name!r} exists already")
    connection = Connection(name=name, created_at=now)
    return update_connection(connection, now=now, **fields)


def update_connection(connection: Connection, *, now: datetime, **fields: Any) -> Connection:
    """Validate and save; ``password`` sets a new one (``""`` clears it), left out it is kept."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for field, value in fields.items():
        setattr(connection, field, value)
    connection.updated_at = now
    connection.full_clean()
    connection.save()
    log.info("erp_connection_saved", connection=connection.name, changed=sorted(set(fields) - {"password"}))
    return connection


class ConnectionInUseError(Exception):
    """Jobs (or recipients, or users limited to it) still name the connection; ``jobs`` lists the jobs."""

    def __init__(self, message: str, jobs: list[str] | None = None) -> None:
        super().__init__(message)
        self.jobs = jobs or []


def delete_connection(connection: Connection) -> None:
    """Remove a connection nothing uses any more (its rules, catalog and slots go with it)."""
    jobs = sorted(connection.jobs.values_list("name", flat=True))
    if jobs:
        raise ConnectionInUseError(
            f"connection {connection.name!r} is used by job(s) {', '.join(jobs)}: move or delete them first", jobs
        )
    try:
        with transaction.atomic():
            connection.delete()
    except ProtectedError as exc:
        users = sorted({str(obj) for obj in exc.protected_objects})
        raise ConnectionInUseError(
            f"connection {connection.name!r} is still named by {', '.join(users)}: change those first"
        ) from None
    log.info("erp_connection_deleted", connection=connection.name)


def implied_connection() -> Connection:
    """``default``, else ``demo``, else the first by name: what a job or rule gets when it names none."""
    for name in (DEFAULT_NAME, DEMO_NAME):
        found = Connection.objects.filter(name=name).first()
        if found is not None:
            return found
    first = Connection.objects.order_by("name").first()
    if first is None:
        raise Connection.DoesNotExist("no ERP connection is configured")
    return first


@transaction.atomic
def ensure_connections(*, now: datetime) -> list[Connection]:
    """``CM_ERP_URL`` set: create or update the ``default`` connection from ``CM_ERP_*``. Otherwise, when no
    connection exists at all, the ``demo`` one. Returns what was created or changed."""
    if settings.CM_ERP_URL:
        return _ensure_default(now)
    if Connection.objects.exists():
        return []
    demo = Connection(name=DEMO_NAME, title=demo_title(), is_demo=True, company="demo", created_at=now, updated_at=now)
    demo.full_clean()
    demo.save()
    return [demo]


def demo_title() -> str:
    """The demo connection's title, in the installation's language (``LANGUAGE_CODE``): it is stored once, when the
    connection is created, and not the language of whoever happens to be looking."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext("Built-in demo company")


def _ensure_default(now: datetime) -> list[Connection]:
    wanted: dict[str, Any] = {
        "base_url": settings.CM_ERP_URL,
        "company": settings.CM_ERP_COMPANY,
        "username": settings.CM_ERP_USER,
        "verify_tls": settings.CM_ERP_VERIFY_TLS,
        "timeout_seconds": settings.CM_ERP_TIMEOUT_SECONDS,
        "page_size": settings.CM_ERP_PAGE_SIZE,
    }
    connection = Connection.objects.filter(name=DEFAULT_NAME).first()
    if connection is None:
        title = "From CM_ERP_* settings"
        return [create_connection(now=now, name=DEFAULT_NAME, title=title, password=settings.CM_ERP_PASSWORD, **wanted)]
    changed = {field: value for field, value in wanted.items() if getattr(connection, field) != value}
    if _stored_password(connection) != settings.CM_ERP_PASSWORD:
        changed["password"] = settings.CM_ERP_PASSWORD
    if not changed:
        return []
    return [update_connection(connection, now=now, **changed)]


def _stored_password(connection: Connection) -> str | None:
    """None when the stored one cannot be decrypted (the key changed): CM_ERP_PASSWORD replaces it."""
    try:
        return connection.password
    except UndecryptableSecretError:
        return None
