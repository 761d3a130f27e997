"""/api/v1/exceptions — accepted exceptions: one violation (connection + check + scope + identity) accepted with a
reason until a date. While it stands the violation is listed as accepted on the run and the alert and counts
toward neither; at expiry (or once revoked) the next run counts it again and its alert says so.

An operator of the company accepts (a warehouse's manager may not waive their own warehouse's violations); an
operator or the warehouse's manager revokes (it only makes a violation count again); whoever may see a warehouse's
alerts sees its exceptions. Every exception is in the configuration audit.
"""

# No `from __future__ import annotations` here: ninja's @paginate resolves the view's annotations in its own
# module, so they must be real objects, not strings.

from datetime import datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import Field

from compliance_monitor.accounts.access import actor, require_connection, scope_actor, visible_in_warehouses
from compliance_monitor.accounts.roles import Role
from compliance_monitor.api.routers.common import ERRORS, BoundedPages
from compliance_monitor.checks import exceptions
from compliance_monitor.checks.models import AcceptedException

router = Router(tags=["exceptions"])
MISSING = "no such exception"


class ExceptionIn(Schema):
    connection: str = Field(..., max_length=64, description="The ERP connection, by name.")
    check: str = Field(..., max_length=100, description="The check's name, e.g. `stock.negative`.")
    warehouse: str = Field(..., max_length=64, description="The scope: a warehouse code, or `*` for a whole read.")
    identity: str = Field(..., max_length=100, description="The violation's identity, e.g. the product code.")
    reason: str = Field(..., max_length=2000, description="Why this violation is legitimate.")
    expires_at: datetime = Field(..., description="Until when (ISO 8601; at most 366 days ahead).")


class ExceptionOut(Schema):
    id: int
    connection: str
    check: str = Field(..., alias="check_name")
    warehouse: str
    identity: str
    reason: str
    expires_at: datetime
    created_by: str
    created_at: datetime
    revoked_by: str
    revoked_at: datetime | None
    standing: bool = Field(..., description="In force now: not expired, not revoked.")

    @staticmethod
    def resolve_standing(obj: AcceptedException) -> bool:
        return obj.stands_at(timezone.now())


class ExceptionFilters(Schema):
    state: Literal["standing", "all"] = "standing"
    connection: str | None = Field(None, max_length=64)
    check: str | None = Field(None, max_length=100)
    warehouse: str | None = Field(None, max_length=64)


@router.get("", response={200: list[ExceptionOut], **ERRORS}, summary="Accepted exceptions (standing by default)")
@paginate(BoundedPages, page_size=50)
def list_exceptions(request: HttpRequest, filters: Query[ExceptionFilters]) -> QuerySet[AcceptedException]:
    rows = exceptions.standing(timezone.now()) if filters.state == "standing" else AcceptedException.objects.all()
    wanted = {"connection": filters.connection, "check_name": filters.check, "warehouse": filters.warehouse}
    return visible_in_warehouses(request.user, rows.filter(**{k: v for k, v in wanted.items() if v}))


@router.post("", response={201: ExceptionOut, **ERRORS}, summary="Accept one violation until a date")
def accept(request: HttpRequest, body: ExceptionIn) -> Status[AcceptedException]:
    require_connection(request.user, body.connection)
    by = actor(request.user, Role.OPERATOR)
    found = exceptions.accept(
        connection=body.connection,
        check=body.check,
        warehouse=body.warehouse,
        identity=body.identity,
        reason=body.reason,
        expires_at=body.expires_at,
        by=by,
        now=timezone.now(),
    )
    return Status(201, found)


@router.get("/{exception_id}", response={200: ExceptionOut, **ERRORS}, summary="One exception")
def read(request: HttpRequest, exception_id: int) -> AcceptedException:
    return get_object_or_404(visible_in_warehouses(request.user, AcceptedException.objects.all()), pk=exception_id)


@router.delete("/{exception_id}", response={200: ExceptionOut, **ERRORS}, summary="Revoke: it counts again")
def revoke(request: HttpRequest, exception_id: int) -> AcceptedException:
    found = read(request, exception_id)
    by = scope_actor(request.user, found.connection, found.warehouse, missing=MISSING)
    if not exceptions.revoke(found.pk, by=by, now=timezone.now()):
        raise HttpError(409, _("this exception no longer stands (expired or revoked)"))
    found.refresh_from_db()
    return found
