"""Settings for the test suite: the real settings, with engine timings shortened.

Worker subprocesses started by the acceptance tests import this module too, so the pytest process
and the workers agree on heartbeats, timeouts, broker folder and database.
"""

from __future__ import annotations

import os
import tempfile

TEST_ENVIRONMENT = {
    "CM_DIAGNOSTIC_CHECKS": "1",
    "CM_HEARTBEAT_SECONDS": "0.5",
    "CM_HEARTBEAT_TIMEOUT_SECONDS": "3",
    "CM_QUEUED_TIMEOUT_SECONDS": "5",
    "CM_SWEEP_SECONDS": "1",
    "CM_LEASE_MARGIN_SECONDS": "2",
    "CM_BEAT_MAX_LOOP_SECONDS": "1",
    "CM_BROKER_POLL_SECONDS": "0.05",
    "CM_CHANGE_POLL_SECONDS": "1",
    "CM_CHANGE_WINDOW_SECONDS": "1",
    # The distributed profiles (PostgreSQL, Redis, RabbitMQ) refuse the built-in key; any fixed one will do here.
    # ERP connection passwords are encrypted with it (required outside SQLite); a fixed test-only Fernet key.
    "CM_ENCRYPTION_KEY": "WUg98X496doddlaFzqoBHWYmros9WVB7wicFpW9ZMuI=",
    "SECRET_KEY": "test-suite-only-key-not-used-anywhere-else-1c9f0e7a4b2d8e6f3a5c7b9d1e3f5a7c9b1d3e5f",
}
for _name, _value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)
# A fresh folder per session (broker messages, SQLite files); subprocesses inherit it.
os.environ.setdefault("CM_DATA_DIR", tempfile.mkdtemp(prefix="cm-test-"))

from compliance_monitor.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
