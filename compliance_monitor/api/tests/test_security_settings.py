"""Item 6: production settings come from the environment, and a deployment cannot start with the public key.

Settings are computed when they are imported, so each case runs in a fresh interpreter with its own environment —
as a deployment would. Nothing here connects to the (made-up) database or broker: checks do not need them.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

ROOT = Path(__file__).resolve().parents[3]
POSTGRES = "postgres://cm:secret@db.example.com:5432/compliance"
REDIS = "redis://redis.example.com:6379/0"
# The distributed profile behind a TLS-terminating proxy, as docs/security.md documents it.
BEHIND_TLS_PROXY = {
    "DATABASE_URL": POSTGRES,
    "CELERY_BROKER_URL": REDIS,
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "compliance.example.com",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "SECURE_SSL_REDIRECT": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "CSRF_TRUSTED_ORIGINS": "https://compliance.example.com",
}
# What the test process may carry that a deployment would not (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
NOT_INHERITED = {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}
NOT_INHERITED_PREFIXES = ("DJANGO_", "SECURE_", "CSRF_", "SESSION_", "CM_")
PRINT_SETTINGS = """
import json, compliance_monitor.settings as s
print(json.dumps({
    "session_cookie_secure": s.SESSION_COOKIE_SECURE, "csrf_cookie_secure": s.CSRF_COOKIE_SECURE,
    "ssl_redirect": s.SECURE_SSL_REDIRECT, "hsts_seconds": s.SECURE_HSTS_SECONDS,
    "proxy_ssl_header": s.SECURE_PROXY_SSL_HEADER, "trusted_origins": s.CSRF_TRUSTED_ORIGINS,
    "login_failure_limit": s.AXES_FAILURE_LIMIT, "login_cooloff_minutes": s.AXES_COOLOFF_TIME.total_seconds() / 60,
}))
"""


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``args`` in a new interpreter with only ``env`` on top of a clean environment (no test-suite settings)."""
    clean = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED and not k.startswith(NOT_INHERITED_PREFIXES)}
    environment = {**clean, "DJANGO_SETTINGS_MODULE": "compliance_monitor.settings", "CM_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**environment, **env}, capture_output=True, text=True, timeout=60
    )


def test_item_6_check_deploy_is_clean_behind_the_documented_tls_proxy(tmp_path: Path) -> None:
    """Only HSTS includeSubDomains / preload (W005, W021) are left off — silenced, as they commit the whole domain."""
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **BEHIND_TLS_PROXY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_item_6_the_built_in_secret_key_is_refused_outside_the_embedded_profile(tmp_path: Path) -> None:
    for profile in ({"DATABASE_URL": POSTGRES, "CELERY_BROKER_URL": REDIS}, {"CELERY_BROKER_URL": REDIS},
                    {"DATABASE_URL": POSTGRES}):  # fmt: skip
        result = run(["manage.py", "check"], tmp_path, **profile)
        assert result.returncode != 0, profile
        assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr, profile

    embedded = run(["manage.py", "check"], tmp_path)
    assert embedded.returncode == 0, embedded.stderr  # make run on a laptop needs no key


def test_item_6_the_embedded_profile_makes_its_own_secret_key_once_0600_never_the_public_one(tmp_path: Path) -> None:
    show = "import compliance_monitor.settings as s; print(s.SECRET_KEY == s.BUILT_IN_SECRET_KEY, s.SECRET_KEY)"
    first = run(["-c", show], tmp_path).stdout.split()
    second = run(["-c", show], tmp_path).stdout.split()

    assert first[0] == "False" and len(first[1]) >= 50 and first == second
    assert (tmp_path / "secret-key").stat().st_mode & 0o777 == 0o600


def test_item_6_tls_and_login_throttling_settings_come_from_the_environment(tmp_path: Path) -> None:
    deployed = json.loads(run(["-c", PRINT_SETTINGS], tmp_path, **BEHIND_TLS_PROXY).stdout)
    assert deployed == {
        "session_cookie_secure": True,
        "csrf_cookie_secure": True,
        "ssl_redirect": True,
        "hsts_seconds": 31536000,
        "proxy_ssl_header": ["HTTP_X_FORWARDED_PROTO", "https"],
        "trusted_origins": ["https://compliance.example.com"],
        "login_failure_limit": 5,
        "login_cooloff_minutes": 15,
    }
    tuned = run(
        ["-c", PRINT_SETTINGS],
        tmp_path,
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Ssl: on",
        CM_LOGIN_FAILURE_LIMIT="3",
        CM_LOGIN_COOLOFF_MINUTES="60",
    )
    assert json.loads(tuned.stdout) == {
        "session_cookie_secure": False,  # the embedded default: plain http://127.0.0.1 must still sign in
        "csrf_cookie_secure": False,
        "ssl_redirect": False,
        "hsts_seconds": 0,
        "proxy_ssl_header": ["HTTP_X_FORWARDED_SSL", "on"],
        "trusted_origins": [],
        "login_failure_limit": 3,
        "login_cooloff_minutes": 60,
    }


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Xq7#pL", "password_too_short"),
        ("password123", "password_too_common"),
        ("48203917564", "password_entirely_numeric"),
        ("olga.novakova", "password_too_similar"),
    ],
)
def test_item_6_weak_passwords_are_refused_by_djangos_four_validators(db: None, password: str, code: str) -> None:
    user = get_user_model()(username="olga.novakova", email="olga@example.com")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert code in {error.code for error in refused.value.error_list}
    validate_password("correct horse battery staple 7", user)  # a good one passes
