"""Beat's own schedule: every periodic task is registered (a typo in a name would be sent and never run), runs on
the control queue at its period, and expires when it could not run in time. Shown failing by renaming a task in
``compliance_monitor/celery.py`` (e.g. ``tasks.sweeps``) or changing a period."""

from __future__ import annotations

from django.conf import settings

from compliance_monitor.celery import app


def test_every_periodic_task_is_registered_on_the_control_queue_at_its_period() -> None:
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    periods = {name: entry["schedule"] for name, entry in schedule.items()}

    assert periods == {
        "compliance-sweep": settings.CM_SWEEP_SECONDS,
        "compliance-change-feeds": settings.CM_CHANGE_POLL_SECONDS,
        "compliance-send-deliveries": settings.CM_SWEEP_SECONDS,
        "compliance-digests": 60,
        "compliance-review-missed": settings.CM_REVIEW_GRACE_SECONDS,
        "compliance-escalate": 60,
        "compliance-missed-runs": 60,
        "compliance-housekeeping": 3600,
        "compliance-conflicts": 15 * 60,
        "compliance-alert-cleanup": 24 * 3600,
    }
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, f"{name}: {entry['task']} is not a registered task"
        assert entry["options"] == {"queue": "control", "expires": entry["schedule"] * 2}, name
