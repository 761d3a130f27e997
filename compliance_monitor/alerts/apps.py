from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "compliance_monitor.alerts"
    label = "alerts"

    def ready(self) -> None:
        from compliance_monitor.alerts import performance, tasks
        from compliance_monitor.jobs.signals import execution_finished, execution_slow

        execution_finished.connect(tasks.queue_alert_processing, dispatch_uid="alerts-after-execution")
        execution_slow.connect(performance.on_execution_slow, dispatch_uid="alerts-slow-execution")
