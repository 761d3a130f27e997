"""What every dashboard view shares: who may see the page, and the header's context."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django_htmx.http import HttpResponseClientRedirect

from compliance_monitor.accounts import access
from compliance_monitor.accounts.roles import Role, managed_warehouses, require, role_of

View = TypeVar("View", bound=Callable[..., HttpResponse])

LIVE_SECONDS = 3  # how often live parts of a page poll (the issue allows at most 5)


def is_htmx(request: HttpRequest) -> bool:
    """Asked by htmx (a poll or an in-place action): answer with the fragment, not the whole page."""
    return bool(getattr(request, "htmx", False))


def signed_in(view: View) -> View:
    """Anonymous callers go to the login page; a poll whose session expired sends the whole page there."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if is_htmx(request):
                return HttpResponseClientRedirect(redirect_to_login(request.get_full_path()).url)
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def needs(role: Role) -> Callable[[View], View]:
    """Signed in and at least ``role``; otherwise a 403 page saying which role is needed."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require(request.user, role)
            return view(request, *args, **kwargs)

        return signed_in(wrapper)  # type: ignore[return-value]

    return decorate


def page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """Render a page with what the header and the role-aware buttons need."""
    role = role_of(request.user)
    header = {
        "role": role,
        "role_label": role.label if role is not None else "",
        "can_operate": role is not None and role >= Role.OPERATOR,
        "can_admin": role is not None and role >= Role.ADMIN,
        "can_view": role is not None,
        "manages": sorted(managed_warehouses(request.user)),
        "unread": access.unread_count(request.user),
        "live_seconds": LIVE_SECONDS,
    }
    return render(request, template, {**header, **context}, status=status)


def paginate(request: HttpRequest, rows: QuerySet[Any], per_page: int) -> Page[Any]:
    """A page of rows; a page number out of range or not a number shows the nearest page."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page (handler403): says why, in the dashboard's frame."""
    message = str(exception) if isinstance(exception, PermissionDenied) and str(exception) else gettext("not allowed")
    if is_htmx(request):
        return render(request, "dashboard/_error.html", {"error": message}, status=403)
    if not request.user.is_authenticated:
        return render(request, "dashboard/403.html", {"error": message}, status=403)
    return page(request, "dashboard/403.html", {"error": message}, status=403)
