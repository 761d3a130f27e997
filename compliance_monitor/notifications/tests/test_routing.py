from __future__ import annotations

from datetime import timedelta

from compliance_monitor.alerts import services as alert_services
from compliance_monitor.alerts.escalation import escalate_due
from compliance_monitor.alerts.models import Alert, AlertType, EventKind
from compliance_monitor.notifications import outbox
from compliance_monitor.notifications.models import Delivery, DeliveryStatus, MaintenanceWindow, Recipient
from compliance_monitor.notifications.tests.conftest import AT_ONCE, T0


def recipients(**flags: object) -> None:
    Recipient.objects.create(name="material manager", email="m@example.com", warehouses=["MATERIAL"], **AT_ONCE)
    Recipient.objects.create(name="admin", email="admin@example.com", is_administrator=True, **AT_ONCE)
    Recipient.objects.create(name="boss", email="boss@example.com", is_escalation_contact=True, **AT_ONCE)


def addressed() -> list[str]:
    return sorted(Delivery.objects.values_list("recipient__name", flat=True))


def test_compliance_alerts_go_to_the_warehouses_managers(raise_alert, db) -> None:
    recipients()
    raise_alert("MATERIAL", count=3)
    assert addressed() == ["material manager"]


def test_without_a_manager_for_the_warehouse_the_administrators_are_told(raise_alert, db) -> None:
    recipients()
    raise_alert("ZBOZI", count=3)
    assert addressed() == ["admin"]


def test_job_failures_go_to_the_administrators(run, db) -> None:
    recipients()
    run(0, status="failed", error="ERP unreachable")
    assert Alert.objects.get().type == AlertType.JOB_FAILURE and addressed() == ["admin"]


def test_a_persisting_problem_is_not_notified_again_but_a_rise_in_severity_is(raise_alert, run, db) -> None:
    from compliance_monitor.alerts.tests.conftest import codes, outcome

    recipients()
    raise_alert("MATERIAL", count=2)
    run(1, outcome("MATERIAL", *codes(3)))
    assert Delivery.objects.count() == 1
    run(2, outcome("MATERIAL", *codes(12)))
    assert list(Delivery.objects.order_by("pk").values_list("reason", flat=True)) == ["raised", "severity_changed"]


def test_during_a_maintenance_window_alerts_are_recorded_but_not_notified(raise_alert, db) -> None:
    recipients()
    window = MaintenanceWindow.objects.create(
        warehouse="MATERIAL", starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=3), reason="stock-taking"
    )
    alert = raise_alert("MATERIAL", count=12)

    assert alert.state == "open"
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.MUTED}
    muted = alert.events.get(kind=EventKind.MUTED)
    assert muted.detail["until"] == window.ends_at.isoformat()


def test_an_unacknowledged_critical_alert_escalates_after_two_hours_and_repeats_hourly(raise_alert, db) -> None:
    recipients()
    alert = raise_alert("MATERIAL", count=12)

    assert escalate_due(now=T0 + timedelta(hours=1, minutes=59)) == 0
    assert escalate_due(now=T0 + timedelta(hours=2)) == 1
    assert escalate_due(now=T0 + timedelta(hours=2, minutes=30)) == 0
    assert escalate_due(now=T0 + timedelta(hours=3)) == 1
    alert.refresh_from_db()
    assert alert.escalation_count == 2 and alert.events.filter(kind=EventKind.ESCALATED).count() == 2
    escalations = Delivery.objects.filter(reason=outbox.ESCALATION)
    assert set(escalations.values_list("recipient__name", flat=True)) == {"boss"}
    assert escalations.first().subject.startswith("CRITICAL: ESCALATED, not acknowledged")

    alert_services.acknowledge(alert, by="boss", now=T0 + timedelta(hours=3, minutes=5))
    assert escalate_due(now=T0 + timedelta(hours=5)) == 0


def test_a_high_alert_never_escalates(raise_alert, db) -> None:
    recipients()
    raise_alert("MATERIAL", count=7)
    assert escalate_due(now=T0 + timedelta(days=1)) == 0


def test_a_job_that_should_have_run_but_did_not_raises_a_system_alert_once(db) -> None:
    from compliance_monitor.alerts.deadman import detect_missed_runs
    from compliance_monitor.jobs import services

    recipients()
    job = services.create_job(now=T0, name="hourly", cron="0 * * * *", checks=["diagnostics.pass"], timezone="UTC")
    job.created_at = T0 - timedelta(minutes=30)  # 07:30: the 08:00 slot is its first
    job.save()

    assert detect_missed_runs(now=T0.replace(minute=5)) == []  # within the grace period
    (alert,) = detect_missed_runs(now=T0.replace(minute=11))
    assert alert.type == AlertType.SYSTEM_ERROR and "did not run at 2026-06-01 08:00" in alert.title
    assert detect_missed_runs(now=T0.replace(minute=30)) == []  # one alert per problem
    assert addressed() == ["admin"]


def test_a_run_after_the_slot_means_nothing_was_missed(db) -> None:
    from compliance_monitor.alerts.deadman import detect_missed_runs
    from compliance_monitor.jobs import services

    jobs = [
        services.create_job(now=T0, name=name, cron="0 * * * *", checks=["diagnostics.pass"], timezone="UTC")
        for name in ("hourly", "silent")
    ]
    for job in jobs:
        job.created_at = T0 - timedelta(minutes=30)  # 07:30: the 08:00 slot is its first
        job.save()
    services.trigger_scheduled(jobs[0].pk, now=T0 + timedelta(seconds=1))  # "silent" does not run

    (missed,) = detect_missed_runs(now=T0 + timedelta(minutes=15))

    assert "silent" in missed.title and "hourly" not in missed.title  # only the job that did not run


def test_a_maintenance_window_on_a_job_mutes_its_failure_alerts(job, run, db) -> None:
    recipients()
    MaintenanceWindow.objects.create(job=job, starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=1))
    run(0, status="failed", error="planned ERP upgrade")
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.MUTED}


def test_a_failing_recipient_lookup_falls_back_to_the_administrators(raise_alert, db) -> None:
    recipients()
    Recipient.objects.create(
        name="broken", email="x@example.com", warehouses=5, **AT_ONCE
    )  # not a list: the lookup fails
    raise_alert("MATERIAL", count=3)
    assert addressed() == ["admin"]
