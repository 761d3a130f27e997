from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "compliance_monitor.alerts"
    label = "alerts"

    def ready(self) -> None:
        from compliance_monitor.alerts import tasks
        from compliance_monitor.jobs.signals import execution_finished

        execution_finished.connect(tasks.queue_alert_processing, dispatch_uid="alerts-after-execution")
