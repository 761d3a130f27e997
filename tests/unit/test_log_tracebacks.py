"""No secret is ever logged: a traceback in a log line never shows the frames' local variables."""

from __future__ import annotations

import logging
import sys

from compliance_monitor.logging import logging_config


def formatted_failure(*, json: bool) -> str:
    config = logging_config(json=json, level="INFO")["formatters"]["structured"]
    formatter = config["()"](**{key: value for key, value in config.items() if key != "()"})

    def connect(password: str) -> None:
        raise ConnectionError("the ERP refused the connection")

    secret = "-".join(("hunter2", "do", "not", "log"))  # built, so no source line shown holds it
    try:
        connect(password=secret)
    except ConnectionError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "erp_failed", None, sys.exc_info())
    return formatter.format(record)


def test_a_logged_traceback_names_the_error_but_not_the_local_variables() -> None:
    for json in (False, True):
        text = formatted_failure(json=json)
        assert "the ERP refused the connection" in text and "hunter2-do-not-log" not in text
