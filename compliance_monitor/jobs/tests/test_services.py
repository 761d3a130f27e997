from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django_celery_beat.models import PeriodicTask

from compliance_monitor.jobs import scheduler, services
from compliance_monitor.jobs.models import Execution, Trigger


def test_creating_a_job_mirrors_its_schedule_into_beat(make_job, now) -> None:
    job = make_job(cron="*/15 8-17 * * 1-5", timezone="Europe/Prague")

    task = PeriodicTask.objects.get(name=scheduler.task_name(job))
    assert task.enabled and task.task == scheduler.TICK_TASK and task.args == f"[{job.pk}]"
    c = task.crontab
    assert (c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week) == ("*/15", "8-17", "*", "*", "1-5")
    assert c.timezone == ZoneInfo("Europe/Prague")


def test_the_next_run_is_computed_and_exposed(make_job, now) -> None:
    assert make_job(cron="30 * * * *", timezone="UTC").next_run_at == now + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"cron": "61 * * * *"}, "cron", "minute field '61' is invalid"),
        ({"timezone": "Nowhere/Land"}, "timezone", "unknown time zone"),
        ({"checks": ["no.such.check"]}, "checks", "unknown check 'no.such.check'"),
        ({"checks": []}, "checks", "non-empty list"),
        ({"timeout_seconds": 0}, "timeout_seconds", "greater than or equal to 1"),
        ({"warehouses": "MATERIAL"}, "warehouses", "list of warehouse codes"),
    ],
)
def test_bad_configuration_is_rejected_naming_the_field(make_job, fields, field, message) -> None:
    with pytest.raises(ValidationError) as caught:
        make_job(**fields)
    assert message in " ".join(caught.value.message_dict[field])


def test_an_update_is_validated_and_nothing_is_saved_when_it_fails(make_job, now) -> None:
    job = make_job(cron="0 * * * *")
    with pytest.raises(ValidationError):
        services.update_schedule(job, cron_expression="bad", now=now)
    job.refresh_from_db()
    assert job.cron == "0 * * * *"


def test_bookkeeping_fields_cannot_be_changed_through_an_update(make_job, now) -> None:
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.update_job(make_job(), {"consecutive_failures": 0}, now=now)


def test_disabling_keeps_the_configuration_and_stops_beat(make_job, now) -> None:
    job = make_job(cron="5 4 * * *", max_retries=7, warehouses=["MATERIAL"])

    services.disable(job, reason="stock-taking", by="alice", now=now)

    job.refresh_from_db()
    assert (job.enabled, job.disabled_reason, job.disabled_by, job.disabled_at) == (False, "stock-taking", "alice", now)
    assert (job.cron, job.max_retries, job.warehouses, job.next_run_at) == ("5 4 * * *", 7, ["MATERIAL"], None)
    assert not PeriodicTask.objects.get(name=scheduler.task_name(job)).enabled


def test_enabling_resets_the_failure_streak_and_clears_the_disable_record(make_job, now) -> None:
    job = make_job()
    job.consecutive_failures = 5
    services.disable(job, reason="auto", by="system", now=now)

    services.enable(job, by="bob", now=now)

    job.refresh_from_db()
    assert (job.enabled, job.consecutive_failures, job.disabled_reason, job.disabled_at) == (True, 0, "", None)
    assert PeriodicTask.objects.get(name=scheduler.task_name(job)).enabled


def test_a_manual_trigger_records_who_why_and_what(make_job, now) -> None:
    job = make_job()
    execution = services.trigger(job, by="alice", now=now, parameters={"x": 1}, warehouses=["ZBOZI"], reason="audit")
    assert (execution.trigger, execution.triggered_by, execution.reason, execution.queued_at) == (
        Trigger.MANUAL,
        "alice",
        "audit",
        now,
    )
    assert (execution.parameters, execution.warehouses) == ({"x": 1}, ["ZBOZI"])


def test_a_disabled_job_runs_manually_only_when_forced_and_then_as_an_emergency(make_job, now) -> None:
    job = services.disable(make_job(), reason="off", by="a", now=now)
    with pytest.raises(services.JobDisabledError, match="is disabled"):
        services.trigger(job, by="bob", now=now)
    assert services.trigger(job, by="admin", now=now, force=True).trigger == Trigger.EMERGENCY


def test_bad_run_input_is_rejected_naming_the_field(make_job, now) -> None:
    with pytest.raises(ValidationError) as caught:
        services.trigger(make_job(), by="a", now=now, warehouses=[""])
    assert "warehouses" in caught.value.message_dict


def test_a_scheduled_tick_of_a_disabled_job_records_nothing(make_job, now) -> None:
    job = services.disable(make_job(), reason="off", by="a", now=now)
    assert services.trigger_scheduled(job.pk, now=now) is None
    assert not Execution.objects.exists()


def test_a_duplicate_tick_for_the_same_cron_slot_runs_once(make_job) -> None:
    job = make_job(cron="0 * * * *", timezone="UTC")
    at = datetime(2026, 6, 1, 13, 0, 1, tzinfo=UTC)

    first = services.trigger_scheduled(job.pk, now=at)
    second = services.trigger_scheduled(job.pk, now=at + timedelta(seconds=20))

    assert first is not None and second is None
    assert first.scheduled_for == datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
    job.refresh_from_db()
    assert job.next_run_at == datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


def test_history_is_newest_first_and_limited(make_job, make_execution, now) -> None:
    job = make_job()
    for minutes in range(5):
        make_execution(job, queued_at=now + timedelta(minutes=minutes))
    history = services.history(job, limit=3)
    assert [e.queued_at for e in history] == [now + timedelta(minutes=m) for m in (4, 3, 2)]
    with pytest.raises(ValidationError, match="limit"):
        services.history(job, limit=0)


def test_deleting_a_job_removes_it_from_beat(make_job) -> None:
    job = make_job()
    name = scheduler.task_name(job)
    services.delete_job(job)
    assert not PeriodicTask.objects.filter(name=name).exists()


def test_the_default_hourly_job_is_created_when_missing_and_never_overwritten(db, now) -> None:
    (job,) = services.ensure_default_jobs(now=now)
    assert (job.name, job.cron, job.checks, job.enabled) == (
        "warehouse-compliance",
        "0 * * * *",
        ["warehouse.product_types"],
        True,
    )
    services.update_schedule(job, cron_expression="*/10 * * * *", now=now)

    assert services.ensure_default_jobs(now=now) == []
    job.refresh_from_db()
    assert job.cron == "*/10 * * * *"


def test_an_unknown_warehouse_is_refused_before_the_run(make_job, now) -> None:
    job = make_job(checks=["warehouse.product_types"])
    with pytest.raises(ValidationError) as caught:
        services.trigger(job, by="a", now=now, warehouses=["MATERIAL", "ATLANTIS"])
    assert "unknown warehouse(s) ATLANTIS" in caught.value.message_dict["warehouses"][0]
    assert not Execution.objects.exists()


def test_the_demo_adds_a_frequent_job_and_runs_every_new_job_once_at_start(db, now) -> None:
    services.ensure_default_jobs(now=now)

    first = services.ensure_demo(now=now)
    again = services.ensure_demo(now=now)

    assert {e.job.name for e in first} == {"warehouse-compliance", "demo-every-10-minutes"}
    assert again == []  # queued runs count: nothing is triggered twice


def test_the_run_row_exists_before_any_message_is_sent(make_job, now, django_capture_on_commit_callbacks) -> None:
    job = make_job()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        execution = services.trigger(job, by="a", now=now)
        assert Execution.objects.filter(pk=execution.pk, status="queued").exists()
    assert len(pending) == 1, "the broker message waits for the row's commit"
