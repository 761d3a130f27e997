"""Which language a request is answered in: the signed-in user's own choice (``Preference``), else what
Django's ``LocaleMiddleware`` finds — the language cookie, then the browser's ``Accept-Language`` — else the
installation's ``LANGUAGE_CODE``. The API answers its ``detail`` messages the same way."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from compliance_monitor.accounts.models import Preference

SUPPORTED = frozenset(code for code, _ in settings.LANGUAGES)
CACHE = "_cm_language_cache"


def chosen(user: Any) -> str:
    """The user's own choice of language, or "" (read once per user object)."""
    if user is None or not user.is_authenticated:
        return ""
    if not hasattr(user, CACHE):
        found = Preference.objects.filter(user=user).values_list("language", flat=True).first()
        setattr(user, CACHE, found if found in SUPPORTED else "")
    return str(getattr(user, CACHE))


def choose(user: Any, language: str) -> None:
    """Remember ``language`` ("" = the browser's) as the user's own."""
    if language and language not in SUPPORTED:
        raise ValueError(f"unsupported language {language!r}")
    Preference.objects.update_or_create(user=user, defaults={"language": language})
    setattr(user, CACHE, language)


class UserLanguageMiddleware(LocaleMiddleware):
    """``LocaleMiddleware`` (cookie, Accept-Language), overridden by the signed-in user's choice."""

    def process_request(self, request: HttpRequest) -> None:
        own = chosen(getattr(request, "user", None))
        if not own:
            super().process_request(request)
            return
        translation.activate(own)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response = super().process_response(request, response)
        translation.deactivate()  # a worker thread's next request starts from nothing
        return response
