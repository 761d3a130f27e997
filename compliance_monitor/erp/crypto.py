"""Secrets at rest: Fernet with the keys of ``CM_ENCRYPTION_KEY`` (the first encrypts, every one decrypts).

Outside SQLite the key is required (every machine must share it). With SQLite (one machine) a key is generated
on first use into ``CM_DATA_DIR/encryption.key``, owner-only (0600), and read from there afterwards.
"""

from __future__ import annotations

import functools
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from compliance_monitor.private_files import read_or_create

KEY_FILE_NAME = "encryption.key"
GENERATE_HINT = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


class UndecryptableSecretError(Exception):
    """A stored secret was encrypted with a key that is not (any longer) in ``CM_ENCRYPTION_KEY``."""


def encrypt(plain: str) -> str:
    return _fernet(tuple(keys())).encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(tuple(keys())).decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecretError(
            "a stored secret cannot be decrypted with CM_ENCRYPTION_KEY: was the key changed? Put the new key "
            "first and the old one after it, comma-separated, until every secret has been saved again"
        ) from None


def keys() -> list[str]:
    configured: list[str] = list(settings.CM_ENCRYPTION_KEY)
    if configured:
        return configured
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        raise ImproperlyConfigured(
            "CM_ENCRYPTION_KEY is not set: outside the embedded profile (SQLite) ERP passwords are encrypted with "
            f"a key every machine shares. Generate one with `{GENERATE_HINT}` and set it on every machine."
        )
    # A restored backup's file may hold several keys, comma-separated like CM_ENCRYPTION_KEY.
    return [key.strip() for key in embedded_key(Path(settings.DATA_DIR) / KEY_FILE_NAME).split(",") if key.strip()]


def embedded_key(path: Path) -> str:
    """The key in ``path``, generated once, 0600 from birth (see :func:`private_files.read_or_create`)."""
    return read_or_create(path, lambda: Fernet.generate_key().decode())


@functools.lru_cache(maxsize=8)
def _fernet(values: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(value.encode()) for value in values])
    except ValueError:
        raise ImproperlyConfigured(
            "CM_ENCRYPTION_KEY holds a value that is not a Fernet key (32 url-safe base64-encoded bytes); "
            f"generate one with `{GENERATE_HINT}`"
        ) from None
