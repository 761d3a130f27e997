"""The header's language switch: a signed-in user's choice is kept with them (every device, their e-mails stay
their recipient's); anyone's is also kept in the language cookie, so the sign-in page follows it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from compliance_monitor.accounts import language as languages


@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.get("language", "")
    if chosen and chosen not in languages.SUPPORTED:
        return HttpResponseBadRequest(_("language: unsupported language %(code)s") % {"code": chosen[:16]})
    if request.user.is_authenticated:
        languages.choose(request.user, chosen)
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    response = redirect(back if safe and back else "dashboard:overview")
    if chosen:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            chosen,
            max_age=365 * 24 * 3600,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite="Lax",
            secure=request.is_secure(),
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response
