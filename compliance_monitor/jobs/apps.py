from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "compliance_monitor.jobs"
    label = "jobs"
    verbose_name = "Jobs and executions"
