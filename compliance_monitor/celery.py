"""The Celery application; configuration comes from Django settings (``CELERY_*``)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance_monitor.settings")

app = Celery("compliance_monitor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["compliance_monitor.jobs", "compliance_monitor.alerts", "compliance_monitor.notifications"])


@app.on_after_configure.connect
def _sweeps(sender: Celery, **_: object) -> None:
    """Housekeeping that beat runs in every deployment; safe to run in several workers at once."""
    from django.conf import settings

    sender.conf.beat_schedule = {
        "compliance-sweep": {
            "task": "compliance_monitor.jobs.tasks.sweep",
            "schedule": settings.CM_SWEEP_SECONDS,
            "options": {"queue": "control", "expires": settings.CM_SWEEP_SECONDS * 2},
        },
        "compliance-review-missed": {
            "task": "compliance_monitor.alerts.tasks.review_missed",
            "schedule": 60.0,
            "options": {"queue": "control", "expires": 120},
        },
        "compliance-send-deliveries": {
            "task": "compliance_monitor.notifications.tasks.send_due_deliveries",
            "schedule": settings.CM_SWEEP_SECONDS,
            "options": {"queue": "control", "expires": settings.CM_SWEEP_SECONDS * 2},
        },
        "compliance-escalate": {
            "task": "compliance_monitor.alerts.tasks.escalate",
            "schedule": 60.0,
            "options": {"queue": "control", "expires": 120},
        },
        "compliance-missed-runs": {
            "task": "compliance_monitor.alerts.tasks.detect_missed_runs",
            "schedule": 60.0,
            "options": {"queue": "control", "expires": 120},
        },
        "compliance-alert-cleanup": {
            "task": "compliance_monitor.alerts.tasks.cleanup_resolved",
            "schedule": 24 * 3600.0,
            "options": {"queue": "control", "expires": 3600},
        },
        "compliance-housekeeping": {
            "task": "compliance_monitor.jobs.tasks.housekeeping",
            "schedule": 3600.0,
            "options": {"queue": "control", "expires": 1800},
        },
    }


@setup_logging.connect
def _keep_django_logging(**_: object) -> None:
    """Celery leaves logging alone when this signal has a receiver: Django's LOGGING (structlog) stays."""
    import django

    django.setup()
