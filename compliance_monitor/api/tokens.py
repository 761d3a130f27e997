"""Creating, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import structlog

from compliance_monitor.api.models import ApiToken

log = structlog.get_logger(__name__)
SCHEME = "cm"
LAST_USED_RESOLUTION = timedelta(minutes=1)  # don't write on every request


def digest(key: str) -> str:
    # Keys are 256-bit random: a plain hash is enough (no salt or slow hash needed against guessing).
    return hashlib.sha256(key.encode()).hexdigest()


def create(user: Any, *, name: str, now: datetime, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Returns the token and its key; the key is not stored and cannot be shown again."""
    prefix = secrets.token_hex(4)
    key = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, key_hash=digest(key), created_at=now, expires_at=expires_at
    )
    log.info("api_token_created", prefix=prefix, user=user.get_username(), expires_at=expires_at)
    return token, key


def authenticate(key: str, *, now: datetime) -> Any | None:
    """The active user a usable key belongs to, else None (unknown, expired or revoked)."""
    token = ApiToken.objects.select_related("user").filter(key_hash=digest(key)).first()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke(token: ApiToken, *, by: str, now: datetime) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = now, by
        token.save(update_fields=["revoked_at", "revoked_by"])
        log.info("api_token_revoked", prefix=token.prefix, by=by)
    return token
