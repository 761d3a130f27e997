"""The Celery application; configuration comes from Django settings (``CELERY_*``)."""

from __future__ import annotations

import gc
import os

from celery import Celery
from celery.signals import setup_logging, worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance_monitor.settings")

YOUNG_COLLECTION_AFTER = 20_000  # allocations of tracked objects between two young collections (Python: 700)
FULL_COLLECTION_AFTER = 100  # collections of the middle generation between two full ones (Python: 10)
app = Celery("compliance_monitor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["compliance_monitor.jobs", "compliance_monitor.alerts", "compliance_monitor.notifications"])


def _every(task: str, seconds: float) -> dict[str, object]:
    # A sweep that could not run in time is skipped, not queued up behind others.
    return {"task": task, "schedule": seconds, "options": {"queue": "control", "expires": seconds * 2}}


@app.on_after_configure.connect
def _sweeps(sender: Celery, **_: object) -> None:
    """Housekeeping that beat runs in every deployment; each step is safe in several workers at once."""
    from django.conf import settings

    sweep, feeds, review = settings.CM_SWEEP_SECONDS, settings.CM_CHANGE_POLL_SECONDS, settings.CM_REVIEW_GRACE_SECONDS
    sender.conf.beat_schedule = {
        "compliance-sweep": _every("compliance_monitor.jobs.tasks.sweep", sweep),
        "compliance-change-feeds": _every("compliance_monitor.jobs.tasks.poll_change_feeds", feeds),
        "compliance-send-deliveries": _every("compliance_monitor.notifications.tasks.send_due_deliveries", sweep),
        "compliance-digests": _every("compliance_monitor.notifications.tasks.close_digests", 60),
        "compliance-review-missed": _every("compliance_monitor.alerts.tasks.review_missed", review),
        "compliance-escalate": _every("compliance_monitor.alerts.tasks.escalate", 60),
        "compliance-missed-runs": _every("compliance_monitor.alerts.tasks.detect_missed_runs", 60),
        "compliance-housekeeping": _every("compliance_monitor.jobs.tasks.housekeeping", 3600),
        # jobs.conflict_cache.REFRESH_EVERY (importing it here would import models before Django is set up)
        "compliance-conflicts": _every("compliance_monitor.jobs.tasks.refresh_conflicts", 15 * 60),
        "compliance-alert-cleanup": _every("compliance_monitor.alerts.tasks.cleanup_resolved", 24 * 3600),
    }


@setup_logging.connect
def _keep_django_logging(**_: object) -> None:
    """Celery leaves logging alone when this signal has a receiver: Django's LOGGING (structlog) stays."""
    import django

    django.setup()


@worker_process_init.connect  # each prefork child, after the fork
@worker_ready.connect  # the main process (and the solo pool's only one)
def freeze_startup_heap(**_: object) -> None:
    """Move what start-up built (Django, models, tasks: ~100k objects) out of the cyclic garbage collector's sight.

    Those objects live as long as the process; a full collection walks them all, and a run parsing ERP pages
    allocates enough to trigger collections all the time (a one-off measurement: about half the time of a page's
    fetch and parse). Frozen, they are never scanned (nor touched, so prefork children keep sharing
    their pages). What runs allocate is collected as before.

    A full collection also walks what a run holds — a check's violations, maybe 100,000 — and Python's default
    (one after every 10 collections of the middle generation, once long-lived objects grew by a quarter) made
    them a third of the cost of judging a million rows (docs/benchmarks.md); one after every
    ``FULL_COLLECTION_AFTER`` keeps them rare. Cycles are still collected, later.

    A young collection walks what was allocated since the last one and is still alive — while a run reads, the
    page being judged (a thousand rows, three thousand tracked objects) and the one being parsed. Python's
    default (one every 700 allocations) walked each page a few times over; one every ``YOUNG_COLLECTION_AFTER``
    walks it at most once (judging a million rows: 3.25 s → 2.87 s, fetch and parse alone 1.99 s → 1.97 s, the
    same process, passes interleaved; docs/benchmarks.md). Garbage cycles wait for 20,000 allocations, not 700.
    """
    gc.collect()
    gc.freeze()
    middle = gc.get_threshold()[1]
    gc.set_threshold(YOUNG_COLLECTION_AFTER, middle, FULL_COLLECTION_AFTER)
