"""Who is calling: a bearer token (scripts, integrations) or a browser session (CSRF-checked)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from compliance_monitor.accounts import audit
from compliance_monitor.api import tokens


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = tokens.authenticate(token, now=timezone.now())
        if user is not None:
            request.user = user
            audit.attribute_to(user)  # the config audit names the token's user, not the anonymous session
        return user


AUTH = [BearerToken(), SessionAuth()]
