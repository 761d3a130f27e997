"""compliance-monitor: scheduled warehouse compliance checks on ABRA Flexi data."""

from __future__ import annotations

from compliance_monitor.celery import app as celery_app

__all__ = ["celery_app"]
