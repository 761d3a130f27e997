from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution, Job, Status, Trigger

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def make_job(db: None, now: datetime) -> Callable[..., Job]:
    def make(name: str = "job", **fields: Any) -> Job:
        fields.setdefault("cron", "0 * * * *")
        fields.setdefault("checks", ["diagnostics.pass"])
        return services.create_job(now=now, name=name, **fields)

    return make


@pytest.fixture
def make_execution(db: None, now: datetime) -> Callable[..., Execution]:
    def make(job: Job, **fields: Any) -> Execution:
        fields.setdefault("trigger", Trigger.MANUAL)
        fields.setdefault("queued_at", now)
        fields.setdefault("status", Status.QUEUED)
        return Execution.objects.create(job=job, **fields)

    return make
