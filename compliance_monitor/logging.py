"""Structured logging: structlog for our events, the same renderer for Django's and Celery's.

Code logs with ``structlog.get_logger(__name__).info("event_name", field=value)``. Context bound with
``structlog.contextvars.bind_contextvars`` (the runner binds ``job`` and ``execution_id``) appears on
every line until it is cleared.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog

SECRET_KEYS = frozenset({"password", "passwd", "secret", "token", "authorization", "api_key"})


def redact_secrets(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Never let a credential reach a log line, whoever passed it."""
    for key in event:
        if key.lower() in SECRET_KEYS:
            event[key] = "***"
    return event


# A web hook's URL carries its secret (/hooks/flexi/<connection>/<secret>): Django logs the path of every 4xx/5xx
# answer, the web server every request. Whoever logs it, the secret is masked.
HOOK_SECRET = re.compile(r"(/hooks/flexi/[^/\s]+/)[^/\s?#\"']+")


def mask_hook_secret(text: str) -> str:
    return HOOK_SECRET.sub(r"\1…", text)


def mask_hook_secrets(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if isinstance(value, str) and "/hooks/flexi/" in value:
            event[key] = mask_hook_secret(value)
    return event


# Libraries that log URLs holding secrets at DEBUG or INFO (Apprise's and urllib3's request lines carry webhook
# tokens): never below WARNING, whatever CM_LOG_LEVEL says.
SECRET_BEARING_LOGGERS = ("apprise", "urllib3")


def at_least_warning(level: str) -> str:
    """``level`` when it is stricter than WARNING, else WARNING."""
    numeric = logging.getLevelName(level.upper())
    return level.upper() if isinstance(numeric, int) and numeric > logging.WARNING else "WARNING"


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_secrets,
    mask_hook_secrets,
]


def logging_config(*, json: bool, level: str) -> dict[str, Any]:
    """A ``LOGGING`` dict for Django; also configures structlog to hand records to it."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # Plain tracebacks: the default (rich) formatter prints every frame's local variables — passwords included.
    console = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    renderer = structlog.processors.JSONRenderer() if json else console
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
                "foreign_pre_chain": SHARED_PROCESSORS,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "httpx": {"level": "WARNING"},  # one line per ERP page is noise; our client logs what matters
            "celery": {"level": level},
            **{name: {"level": at_least_warning(level)} for name in SECRET_BEARING_LOGGERS},
        },
    }
