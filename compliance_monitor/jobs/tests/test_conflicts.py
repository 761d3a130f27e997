from __future__ import annotations

from datetime import timedelta

from compliance_monitor.jobs import conflicts, services


def test_two_jobs_on_the_same_warehouse_at_the_same_time_conflict(make_job, now) -> None:
    make_job("a", cron="0 * * * *", warehouses=["MATERIAL", "ZBOZI"], timezone="UTC")
    make_job("b", cron="0 */2 * * *", warehouses=["MATERIAL"], timezone="UTC")

    (conflict,) = conflicts.find_conflicts(now=now)

    assert (conflict.job, conflict.other, conflict.warehouses) == ("a", "b", ["MATERIAL"])
    assert conflict.first_overlap_at == now + timedelta(hours=2)  # the 12:00 slot is now: already due
    assert conflict.overlaps_in_horizon == 7 * 12 - 1
    assert "a and b both check MATERIAL" in conflict.message


def test_jobs_on_different_warehouses_do_not_conflict(make_job, now) -> None:
    make_job("a", warehouses=["MATERIAL"])
    make_job("b", warehouses=["ZBOZI"])
    assert conflicts.find_conflicts(now=now) == []


def test_a_job_on_all_warehouses_conflicts_with_any_job_at_its_times(make_job, now) -> None:
    make_job("all", cron="0 * * * *")
    make_job("one", cron="0 6 * * *", warehouses=["POLOTOVARY"])
    (conflict,) = conflicts.find_conflicts(now=now)
    assert conflict.warehouses == ["*"] and conflict.overlaps_in_horizon == 7


def test_staggered_schedules_do_not_conflict(make_job, now) -> None:
    make_job("a", cron="0 * * * *")
    make_job("b", cron="30 * * * *")
    assert conflicts.find_conflicts(now=now) == []


def test_disabled_jobs_are_not_reported(make_job, now) -> None:
    make_job("a")
    services.disable(make_job("b"), reason="off", by="x", now=now)
    assert conflicts.find_conflicts(now=now) == []


def test_a_job_that_usually_runs_long_conflicts_with_one_starting_while_it_runs(make_job, make_execution, now) -> None:
    long_job = make_job("long", cron="0 * * * *")
    make_job("later", cron="10 * * * *")
    make_execution(long_job, status="succeeded", duration_seconds=15 * 60)
    assert [{c.job, c.other} for c in conflicts.conflicts_of(long_job, now=now)] == [{"long", "later"}]


def test_one_jobs_conflicts_are_those_the_whole_sweep_finds_for_it(make_job, make_execution, now) -> None:
    make_job("a", cron="*/20 * * * *", warehouses=["MATERIAL"])
    b = make_job("b", cron="0 * * * *")
    make_job("c", cron="5 8-17 * * 1-5", warehouses=["ZBOZI", "MATERIAL"])
    make_job("d", cron="30 * * * *", warehouses=["ZBOZI"])
    make_execution(b, status="succeeded", duration_seconds=10 * 60)  # b's window: 10 minutes

    everything = conflicts.find_conflicts(now=now)

    assert {(c.job, c.other) for c in everything} == {("a", "b"), ("b", "c")}  # c at :05 is inside b's window
    assert sorted(conflicts.conflicts_of(b, now=now), key=lambda c: c.other) == [
        c for c in everything if "b" in (c.job, c.other)
    ]


def test_jobs_on_the_same_warehouse_code_of_different_companies_do_not_conflict(make_job, now) -> None:
    from compliance_monitor.erp.models import Connection

    Connection.objects.create(name="acme", company="acme", base_url="http://127.0.0.1:1")
    make_job("demo-zbozi", warehouses=["ZBOZI"])
    acme = make_job("acme-zbozi", warehouses=["ZBOZI"], connection="acme")
    make_job("acme-all", connection="acme")

    (conflict,) = conflicts.find_conflicts(now=now)
    assert (conflict.job, conflict.other) == ("acme-all", "acme-zbozi")
    assert len(conflicts.conflicts_of(acme, now=now)) == 1, "not with demo's ZBOZI"
