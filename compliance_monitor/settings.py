"""Settings, read from the environment.

Two profiles share this file:

* **embedded** (default): SQLite file + Celery ``filesystem://`` broker under ``CM_DATA_DIR`` —
  one machine, no servers.
* **distributed**: ``DATABASE_URL=postgres://…`` + ``CELERY_BROKER_URL=redis://…`` (or ``amqp://…``),
  workers on many machines, exactly one beat.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from compliance_monitor.logging import logging_config
from compliance_monitor.private_files import read_or_create

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def private_folder(path: Path) -> Path:
    """Create ``path`` owner-only (0700, whatever the umask): it holds the database, broker messages, mails
    and the admin password. An existing folder is left as it is here; ``manage.py serve`` tightens it."""
    try:
        path.mkdir(parents=True)
    except FileExistsError:
        return path
    path.chmod(0o700)
    return path


DATA_DIR = private_folder(Path(os.environ.get("CM_DATA_DIR", BASE_DIR / "var")))
(DATA_DIR / "static").mkdir(exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# Never used as is: the embedded profile generates its own key into the data folder; anywhere else SECRET_KEY
# must be set (see Security below).
BUILT_IN_SECRET_KEY = "embedded-profile-insecure-key-set-SECRET_KEY-in-production"  # noqa: S105 (public on purpose)
SECRET_KEY = os.environ.get("SECRET_KEY", BUILT_IN_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "django_htmx",
    "auditlog",
    "axes",
    "csp",
    "ninja",  # its bundled Swagger UI, served from our static files (without it the docs page uses a CDN)
    "compliance_monitor.accounts",
    "compliance_monitor.erp",
    "compliance_monitor.checks",
    "compliance_monitor.jobs",
    "compliance_monitor.alerts",
    "compliance_monitor.notifications",
    "compliance_monitor.api",
    "compliance_monitor.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "compliance_monitor.api.middleware.SingleValuedQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "compliance_monitor.accounts.language.UserLanguageMiddleware",  # the user's language, else the browser's
    "django.contrib.messages.middleware.MessageMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a refused login into the lockout page
]

ROOT_URLCONF = "compliance_monitor.urls"
WSGI_APPLICATION = "compliance_monitor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def database_config() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'compliance.sqlite3'}")
    # Persistent connections save a connect per request on PostgreSQL (checked before reuse).
    max_age = int(os.environ.get("CM_DB_CONN_MAX_AGE", "0" if url.startswith("sqlite") else "60"))
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=max_age, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server read while a worker writes; IMMEDIATE transactions take the
        # write lock up front so concurrent writers wait (busy timeout) instead of deadlocking.
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # Worker subprocesses in the test suite must see the test database: keep it a file.
        config["TEST"] = {"NAME": os.environ.get("CM_SQLITE_TEST_NAME", str(DATA_DIR / "test.sqlite3"))}
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The installation's language (``cs`` or ``en``): anonymous pages follow the browser's Accept-Language, a signed-in
# user their own choice (the header's switch), e-mails each recipient's; this one where nothing says otherwise.
LANGUAGE_CODE = os.environ.get("CM_LANGUAGE", "en")
LANGUAGES = [("en", "English"), ("cs", "Čeština")]
LOCALE_PATHS = [BASE_DIR / "compliance_monitor" / "locale"]
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Prague")
USE_I18N = True
USE_TZ = True

LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:overview"
LOGOUT_REDIRECT_URL = "dashboard:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGGING = logging_config(json=env_bool("CM_LOG_JSON", False), level=os.environ.get("CM_LOG_LEVEL", "INFO"))

# --- Celery -------------------------------------------------------------------------------------
BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "compliance_monitor.jobs.broker:Transport"  # kombu's, without its read race
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        # kombu's default is "control" in the working directory: keep exchange tables with the messages.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": env_float("CM_BROKER_POLL_SECONDS", 0.1),
    }
else:
    # Redis redelivers unacknowledged messages after this; it must exceed the longest run.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "control"

# Acknowledge on receipt: the database, not the broker, recovers lost work (see jobs/reaper.py).
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = int(env_float("CM_BEAT_MAX_LOOP_SECONDS", 5))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Security (docs/security.md) ------------------------------------------------------------------
# The built-in key is public (it is in this file): only the one-machine profile may run with it.
EMBEDDED = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and CELERY_BROKER_URL.startswith(
    "filesystem://"
)
if EMBEDDED and SECRET_KEY == BUILT_IN_SECRET_KEY:
    # Even one machine may serve its network (serve --host 0.0.0.0): a key of its own, made once, kept 0600.
    SECRET_KEY = read_or_create(DATA_DIR / "secret-key", lambda: secrets.token_urlsafe(50))
elif SECRET_KEY == BUILT_IN_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: outside the embedded profile (SQLite + filesystem:// broker) the built-in key "
        "would let anyone forge sessions. Set SECRET_KEY to a long random value, the same on every machine, e.g. "
        '`python -c "import secrets; print(secrets.token_urlsafe(50))"`.'
    )


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """``X-Forwarded-Proto`` (the value ``https`` implied) or ``X-Forwarded-Ssl: on`` → Django's META form.

    Set it only behind a proxy that always sets (overwrites) this header: whoever can send it decides what is HTTPS.
    """
    if not value.strip():
        return None
    name, _, expected = value.partition(":")
    return "HTTP_" + name.strip().upper().replace("-", "_"), expected.strip() or "https"


# Off by default: the embedded profile serves plain http://127.0.0.1. Behind TLS, turn them on (docs/security.md);
# `manage.py check --deploy` names any that are missing.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz/"]  # probes of load balancers and orchestrators that talk plain HTTP
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(os.environ.get("SECURE_PROXY_SSL_HEADER", ""))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SECURE_HSTS_SECONDS = int(env_float("SECURE_HSTS_SECONDS", 0))
# includeSubDomains and preload commit the customer's whole domain (and, for preload, browsers' built-in lists) to
# HTTPS: that is the domain owner's decision, not this service's. Off unless asked for, and check --deploy's
# reminders about them (W005, W021) are silenced.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# Login throttling (django-axes): after CM_LOGIN_FAILURE_LIMIT wrong passwords for a user name from one address,
# signing in as it from there is refused for CM_LOGIN_COOLOFF_MINUTES, and the login page says so. Per name and
# address together: a guesser cannot lock the real user out from another machine, and behind a proxy (one address
# for everybody) it is still per user name, never everybody at once.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(env_float("CM_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=env_float("CM_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # signing in forgets the mistakes made before it
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends when the page says, even if retried
AXES_LOCKOUT_TEMPLATE = "dashboard/login.html"
AXES_VERBOSE = False  # no start-up banner on every manage.py command; lockouts are still logged

# Content-Security-Policy: every script, style, font and request from our own origin only — the machines are
# offline, and an injected <script> or inline handler does not run. Images may also be data: URLs (Swagger UI's
# icons are inlined in its CSS); they load nothing from anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Job engine -----------------------------------------------------------------------------------
# How often a running execution proves it is alive, and when silence means its worker is dead.
CM_HEARTBEAT_SECONDS = env_float("CM_HEARTBEAT_SECONDS", 5)
CM_HEARTBEAT_TIMEOUT_SECONDS = env_float("CM_HEARTBEAT_TIMEOUT_SECONDS", 60)
# A queued execution nobody claimed for this long lost its broker message.
CM_QUEUED_TIMEOUT_SECONDS = env_float("CM_QUEUED_TIMEOUT_SECONDS", 300)
# How often the sweeper (reaper, retention) runs.
CM_SWEEP_SECONDS = env_float("CM_SWEEP_SECONDS", 15)
# Change feeds (issue 13): how often polled feeds read the ERP's change log, and how long changes are coalesced
# before their run is queued.
CM_CHANGE_POLL_SECONDS = env_float("CM_CHANGE_POLL_SECONDS", 10)
CM_CHANGE_WINDOW_SECONDS = env_float("CM_CHANGE_WINDOW_SECONDS", 5)
# A feed in hook mode is also polled when the ERP has not called for this long (penalised or lost hooks).
CM_HOOK_FALLBACK_SECONDS = env_float("CM_HOOK_FALLBACK_SECONDS", 60)
# The lease outlives the hard time limit by this much, so a killed run's lease frees itself.
CM_LEASE_MARGIN_SECONDS = env_float("CM_LEASE_MARGIN_SECONDS", 60)
CM_EXECUTION_RETENTION_DAYS = int(env_float("CM_EXECUTION_RETENTION_DAYS", 90))
# Config audit (django-auditlog, kept as long as executions): changes as JSON values, foreign keys by name.
AUDITLOG_STORE_JSON_CHANGES = AUDITLOG_USE_FK_STRING_REPRESENTATION = True
# Test checks (pass, fail, sleep, hostile) prove the engine; never enabled in production.
CM_DIAGNOSTIC_CHECKS = env_bool("CM_DIAGNOSTIC_CHECKS", False)

# --- ABRA Flexi ---------------------------------------------------------------------------------
# Empty URL = the built-in demo company (stock that drifts every 10 minutes). A real ERP:
# CM_ERP_URL=https://erp.example.com:5434 CM_ERP_COMPANY=my_company CM_ERP_USER=… CM_ERP_PASSWORD=…
CM_ERP_URL = os.environ.get("CM_ERP_URL", "")
CM_ERP_COMPANY = os.environ.get("CM_ERP_COMPANY", "demo")
CM_ERP_USER = os.environ.get("CM_ERP_USER", "")
CM_ERP_PASSWORD = os.environ.get("CM_ERP_PASSWORD", "")
CM_ERP_VERIFY_TLS = env_bool("CM_ERP_VERIFY_TLS", True)
CM_ERP_TIMEOUT_SECONDS = env_float("CM_ERP_TIMEOUT_SECONDS", 30)
CM_ERP_PAGE_SIZE = int(env_float("CM_ERP_PAGE_SIZE", 1000))
CM_ERP_RETRIES = int(env_float("CM_ERP_RETRIES", 3))
# A scope (one warehouse of a check) read beyond these is incomplete, never a silent pass.
CM_ERP_MAX_ROWS_PER_SCOPE = int(env_float("CM_ERP_MAX_ROWS_PER_SCOPE", 5_000_000))
CM_ERP_MAX_RESPONSE_BYTES = int(env_float("CM_ERP_MAX_RESPONSE_BYTES", 64 * 1024 * 1024))
# Secrets at rest (ERP connection passwords): Fernet keys, comma-separated for rotation (the first encrypts, all
# decrypt). Required unless the database is SQLite, where one is generated into CM_DATA_DIR/encryption.key (0600).
CM_ENCRYPTION_KEY = env_list("CM_ENCRYPTION_KEY")
# Volume guard: a scope reading fewer rows than this fraction of its usual median is suspect.
CM_VOLUME_GUARD_FRACTION = env_float("CM_VOLUME_GUARD_FRACTION", 0.10)
CM_VOLUME_GUARD_HISTORY = int(env_float("CM_VOLUME_GUARD_HISTORY", 10))  # last complete reads considered

# --- Notifications --------------------------------------------------------------------------------
# SMTP when EMAIL_HOST is set; otherwise mails are written to CM_DATA_DIR/mail (the embedded demo needs no server).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_TIMEOUT = int(env_float("EMAIL_TIMEOUT", 10))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "compliance-monitor@localhost")
CM_NOTIFY_MAX_ATTEMPTS = int(env_float("CM_NOTIFY_MAX_ATTEMPTS", 5))
CM_NOTIFY_BACKOFF_SECONDS = env_float("CM_NOTIFY_BACKOFF_SECONDS", 30)  # 30 s, 60 s, 120 s, …
# When a channel keeps failing for a recipient, try this one of theirs instead.
CM_NOTIFY_FALLBACK = {"apprise": "email", "email": "in_app"}
# Where people reach the dashboard (https://compliance.example.com): makes the links in notifications absolute.
CM_PUBLIC_URL = os.environ.get("CM_PUBLIC_URL", "").rstrip("/")
CM_ESCALATE_AFTER_SECONDS = env_float("CM_ESCALATE_AFTER_SECONDS", 2 * 3600)
CM_ESCALATION_REPEAT_SECONDS = env_float("CM_ESCALATION_REPEAT_SECONDS", 3600)
# A finished run whose review message was lost (broker restart, worker killed) is reviewed by a sweep this often,
# once it is this old — the task has its chance first.
CM_REVIEW_GRACE_SECONDS = env_float("CM_REVIEW_GRACE_SECONDS", 60)
CM_MISSED_RUN_GRACE_SECONDS = env_float("CM_MISSED_RUN_GRACE_SECONDS", 600)
CM_ALERT_RETENTION_DAYS = int(env_float("CM_ALERT_RETENTION_DAYS", 90))  # resolved alerts only
