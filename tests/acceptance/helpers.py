from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone

from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution, Job
from tests.processes import wait_until

# Midnight of 29 February (Europe/Prague), once in four years: a real beat running beside a test never fires it. (The
# yearly ``0 0 1 1 *`` fired on New Year's night.)
RARE = "0 0 29 2 *"


def make_job(name: str = "job", *, checks: list[str] | None = None, **fields: Any) -> Job:
    fields.setdefault("cron", RARE)
    return services.create_job(now=timezone.now(), name=name, checks=checks or ["diagnostics.pass"], **fields)


def trigger(job: Job, **kwargs: Any) -> Execution:
    kwargs.setdefault("by", "tester")
    return services.trigger(job, now=timezone.now(), **kwargs)


def wait_final(execution: Execution, *, timeout: float = 20) -> Execution:
    def final() -> Execution | None:
        execution.refresh_from_db()
        return execution if execution.is_final else None

    return wait_until(final, timeout=timeout, what=f"execution {execution.pk} to finish")


def result_discarded(process_logs: Path, execution: Execution) -> bool:
    """A worker logged that it threw away this execution's late result (it was cancelled or taken over meanwhile)."""
    logs = "".join(path.read_text(errors="replace") for path in process_logs.glob("w*.log"))
    return any("execution_result_discarded" in line and str(execution.pk) in line for line in logs.splitlines())
