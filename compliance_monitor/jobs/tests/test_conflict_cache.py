from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import translation

from compliance_monitor.jobs import conflict_cache, conflicts, services, tasks
from compliance_monitor.jobs.models import ConflictSnapshot, Job


@pytest.fixture
def expansions(monkeypatch) -> list[str]:
    """The names of the jobs whose schedules the conflict finder expanded into run windows (its whole cost)."""
    calls: list[str] = []
    expand = conflicts._windows

    def counted(job, length, now):
        calls.append(job.name)
        return expand(job, length, now)

    monkeypatch.setattr(conflicts, "_windows", counted)
    return calls


@pytest.fixture
def saved(make_job, django_capture_on_commit_callbacks):
    """make_job whose transaction commits, as in production: its conflicts are computed by the save."""

    def make(name: str, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return make_job(name, **fields)

    return make


def everyone(now) -> dict[str, list[str]]:
    """Every job's stored warnings, read as the job list reads them."""
    jobs = list(Job.objects.all())
    found = conflict_cache.stored(conflict_cache.schedules_of(jobs), now=now)
    return {job.name: found.get(conflict_cache.key(job.pk), []) for job in jobs}


def test_reads_after_a_save_take_the_stored_conflicts_without_expanding_a_schedule(saved, now, expansions) -> None:
    saved("a", cron="0 * * * *")
    b = saved("b", cron="0 */2 * * *")
    expansions.clear()

    listed = everyone(now)
    one = conflict_cache.messages_of(b, now=now)

    assert listed["a"] == listed["b"] == one and "a and b both check all warehouses" in one[0]
    assert expansions == [], "a read expanded cron schedules"


def test_a_change_made_around_the_service_is_seen_by_the_next_read(saved, now, expansions) -> None:
    saved("a", cron="0 * * * *")
    saved("b", cron="0 * * * *")
    Job.objects.filter(name="b").update(enabled=False)  # as the engine's auto-disable does: no save_job

    assert everyone(now) == {"a": [], "b": []}
    assert expansions, "the read must have recomputed"


def test_several_saves_in_one_transaction_compute_once(
    make_job, now, expansions, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        make_job("a", cron="0 * * * *")
        make_job("b", cron="30 * * * *")

    assert sorted(expansions) == ["a", "b"]  # one computation: each schedule expanded once


def test_a_snapshot_older_than_its_maximum_age_is_recomputed_by_the_read(saved, now, expansions) -> None:
    saved("a")
    expansions.clear()

    everyone(now + conflict_cache.MAX_AGE - timedelta(minutes=1))
    assert expansions == []
    everyone(now + conflict_cache.MAX_AGE)
    assert expansions == ["a"]


def test_the_periodic_refresh_follows_run_windows_no_save_announced(saved, make_execution, now) -> None:
    long_job = saved("long", cron="0 * * * *")
    saved("later", cron="10 * * * *")
    make_execution(long_job, status="succeeded", duration_seconds=15 * 60)  # long now runs 15 minutes, not 1
    assert everyone(now)["later"] == []  # stored: a run does not recompute

    with time_machine.travel(now + timedelta(minutes=5), tick=False):
        tasks.refresh_conflicts()

    (warning,) = everyone(now + timedelta(minutes=5))["later"]
    assert warning.startswith("later and long both check all warehouses")


def test_the_first_read_after_the_migration_computes_and_stores(make_job, now) -> None:
    make_job("a")
    make_job("b")  # never committed here: nothing was stored
    assert not ConflictSnapshot.objects.exists()

    (warning,) = everyone(now)["a"]

    stored = json.loads(ConflictSnapshot.objects.get().messages)  # the facts, written out when read
    assert {job: [conflicts.describe(f) for f in facts] for job, facts in stored.items()} == {
        conflict_cache.key(job.pk): [warning] for job in Job.objects.all()
    }


def test_a_snapshot_stores_facts_and_each_reader_gets_the_warning_in_their_language(
    make_job, now, czech_catalog
) -> None:
    """Shown failing with ``compute`` storing ``conflict.message`` (the text of the language it ran in)."""
    make_job("a")
    make_job("b")
    with translation.override("en"):
        (english,) = everyone(now)["a"]
    stored = json.loads(ConflictSnapshot.objects.get().messages)
    assert all(isinstance(item, dict) and item["count"] >= 1 for items in stored.values() for item in items)
    with translation.override("cs"):
        (czech,) = everyone(now)["a"]
    assert english.startswith("a and b both check all warehouses") and czech != english
    legacy = "a and b both check MATERIAL and overlap 2 times in the next 7 days, first at 2026-06-01 13:00 UTC"
    assert conflicts.describe(legacy) == legacy  # a snapshot stored before facts were: shown as stored


def test_deleting_a_job_stores_conflicts_without_it(saved, now, expansions, django_capture_on_commit_callbacks) -> None:
    saved("a")
    gone = saved("b")
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_job(gone, now=now)
    expansions.clear()

    assert everyone(now) == {"a": []}
    assert expansions == []
