"""/api/v1/audit — who changed which configuration (jobs, rules, recipients, windows, tokens, connections, access per
company), when, before → after.

Administrators only, and only those not limited to some companies (403): the trail spans every company, and entries
about deleted objects cannot be told apart by company.
"""

# No `from __future__ import annotations` here: ninja's @paginate resolves the view's annotations in its own
# module, so they must be real objects, not strings.

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from compliance_monitor.accounts import access, audit
from compliance_monitor.accounts.roles import Role
from compliance_monitor.api.routers.common import ERRORS, BoundedPages, actor

router = Router(tags=["audit"])


class AuditFilters(Schema):
    model: Literal[audit.MODEL_KEYS] | None = None  # type: ignore[valid-type]
    object: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="A job's name, a rule's warehouse code, a recipient's name, a token's prefix, a window's id.",
    )


class AuditEntryOut(Schema):
    id: int
    who: str = Field(description="The user who made the change; `system` for the engine, the CLI and tasks.")
    when: datetime
    action: Literal["create", "update", "delete"]
    model: str
    object: str
    object_id: str
    changes: dict[str, list[Any]] = Field(description="{field: [before, after]}")


@router.get("", response={200: list[AuditEntryOut], **ERRORS}, summary="Configuration changes, newest first")
@paginate(BoundedPages, page_size=50)
def list_audit(request: HttpRequest, filters: Query[AuditFilters]) -> audit.Trail:
    actor(request, Role.ADMIN)
    access.require_every_connection(request.user, "the configuration audit")
    return audit.entries(model=filters.model, name=filters.object)
