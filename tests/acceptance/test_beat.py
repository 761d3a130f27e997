from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution, Status, Trigger
from tests.acceptance.helpers import make_job
from tests.processes import start_beat, wait_for_steady_beat, wait_until

pytestmark = pytest.mark.workers
# Beat's clock starts shortly before a minute boundary, so a cron test waits seconds, not a minute.
# Our own writes happen on the same fake timeline: beat compares the timestamps they leave behind.
BOUNDARY = datetime(2030, 1, 1, 11, 0, tzinfo=UTC)
BEAT_START = BOUNDARY - timedelta(seconds=12)


def test_schedule_changes_and_enable_disable_take_effect_in_the_running_beat(
    engine: object, process_logs: Path
) -> None:
    with time_machine.travel(BEAT_START - timedelta(seconds=10)):
        rescheduled = make_job("rescheduled", cron="0 0 1 1 *")
        enabled = services.disable(make_job("enabled", cron="* * * * *"), reason="off", by="t", now=timezone.now())
        disabled = make_job("disabled", cron="* * * * *")
    beat = start_beat(process_logs, fake_start=BEAT_START.isoformat())
    try:
        wait_for_steady_beat(beat)
        with time_machine.travel(BOUNDARY - timedelta(seconds=5)):  # after beat started, before the boundary
            services.update_schedule(rescheduled, cron_expression="* * * * *", now=timezone.now())
            services.enable(enabled, by="t", now=timezone.now())
            services.disable(disabled, reason="paused", by="t", now=timezone.now())

        fired = wait_until(lambda: _scheduled_runs(2), timeout=25, what="two cron runs")
        beat.wait_for_output("Sending due task", timeout=1)
    finally:
        beat.stop()
    assert "DatabaseScheduler: Schedule changed" in beat.output()
    assert {e.job.name for e in fired} == {"rescheduled", "enabled"}
    assert all(e.status == Status.SUCCEEDED and e.triggered_by == "scheduler" for e in fired)
    assert not Execution.objects.filter(job=disabled).exists(), "a disabled job's tick must record nothing"


def _scheduled_runs(count: int) -> list[Execution] | None:
    runs = list(Execution.objects.filter(trigger=Trigger.SCHEDULED).select_related("job"))
    return runs if len(runs) >= count and all(e.is_final for e in runs) else None
