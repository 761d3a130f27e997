from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema
from ninja.pagination import PageNumberPagination
from pydantic import Field

from compliance_monitor.accounts import access
from compliance_monitor.accounts.roles import Role
from compliance_monitor.api.schemas import ErrorOut

# Every operation documents its error answers, so clients (and schemathesis) know them.
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class BoundedPages(PageNumberPagination):
    """Pages with limits: an absurd page number is a 422, not a database overflow."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=500)


def actor(request: HttpRequest, role: Role) -> str:
    """Check the caller's role and name them for the audit fields (never taken from the request body)."""
    return access.actor(request.user, role)
