"""The versioned REST API (django-ninja): OpenAPI schema at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from compliance_monitor.alerts.services import AlertStateError
from compliance_monitor.api.auth import AUTH
from compliance_monitor.jobs.services import JobDisabledError

api = NinjaAPI(
    title="compliance-monitor",
    version="1",
    description="Scheduled warehouse compliance checks: jobs, runs, alerts. Authenticate with "
    "`Authorization: Bearer <token>` (`manage.py tokens create`) or a browser session.",
    auth=AUTH,
    urls_namespace="api-v1",
)


def field_errors(exc: ValidationError) -> list[dict[str, object]]:
    """Django's errors in ninja's own 422 shape: one {loc, msg} per problem, naming the field."""
    if hasattr(exc, "error_dict"):
        return [
            {"loc": ["body", field], "msg": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"loc": ["body"], "msg": message} for message in exc.messages]


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": field_errors(exc)}, status=422)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or _("forbidden")}, status=403)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = _("authentication required: `Authorization: Bearer <token>` or a logged-in session")
    return api.create_response(request, {"detail": detail}, status=401)


@api.exception_handler(JobDisabledError)
def _disabled(request: HttpRequest, exc: JobDisabledError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(AlertStateError)
def _conflict(request: HttpRequest, exc: AlertStateError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)


from compliance_monitor.api.routers import (  # noqa: E402 — routers need `api` defined
    alerts,
    audit,
    executions,
    health,
    jobs,
    notifications,
)

api.add_router("/jobs", jobs.router)
api.add_router("/alerts", alerts.router)
api.add_router("/notifications", notifications.router)
api.add_router("/executions", executions.router)
api.add_router("/health", health.router)
api.add_router("/audit", audit.router)
api.add_router("/connections", "compliance_monitor.api.routers.connections.router")
api.add_router("/checks", "compliance_monitor.api.routers.checks.router")
api.add_router("/exceptions", "compliance_monitor.api.routers.exceptions.router")
api.add_router("/recipients", "compliance_monitor.api.routers.recipients.router")
