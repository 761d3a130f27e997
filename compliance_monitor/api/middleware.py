"""Refuse ambiguous API queries: no API parameter takes several values, so `?x=1&x=2` is a 422, not "the last wins"."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"


class SingleValuedQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            repeated = sorted(key for key in request.GET if len(request.GET.getlist(key)) > 1)
            if repeated:
                errors = [{"loc": ["query", key], "msg": "given more than once; give it once"} for key in repeated]
                return JsonResponse({"detail": errors}, status=422)
        return self.get_response(request)
