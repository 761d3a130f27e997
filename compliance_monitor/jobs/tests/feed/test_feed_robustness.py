"""Issue 13, after review: a change feed that one bad entry, one failing feed, a forgotten hook or an unlucky
run cannot stop, replay or make forget — and a change is covered only by a run that really read after it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from compliance_monitor.erp import change_feed, change_log
from compliance_monitor.erp.models import ChangeFeed, Connection, FeedMode
from compliance_monitor.jobs import changes, feeds, lifecycle, runner, services
from compliance_monitor.jobs.models import Execution, PendingRecheck, Status
from compliance_monitor.jobs.tests.feed.conftest import T0, book, material_product, run

pytestmark = pytest.mark.django_db(transaction=True)


def entry(version: int, evidence: str = "skladovy-pohyb", record: str = "1") -> dict[str, str]:
    return {"@evidence": evidence, "@in-version": str(version), "id": record, "@operation": "create"}


def test_a_malformed_change_log_entry_is_skipped_and_the_rest_are_read() -> None:
    body = {"winstrom": {"changes": [entry(5), entry(7, evidence="Not An Evidence!"), {"id": "x"}, entry(9)]}}

    page = change_log.parse_changes(body)

    assert [c.version for c in page.changes] == [5, 9] and page.skipped == 2


class Pages:
    """A change log whose first page holds only entries no one can read, then one good page."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get_json(self, path: str, params: dict[str, str]) -> Any:
        self.asked.append(params.get("start", ""))
        if params["start"] == "11":
            return {"winstrom": {"changes": [{"@evidence": "?", "@in-version": "11"}], "next": "20"}}
        if params["start"] == "20":
            return {"winstrom": {"changes": [entry(21, evidence="cenik")], "next": "none"}}
        return {"winstrom": {"changes": []}}

    def close(self) -> None:
        pass


def test_a_page_of_nothing_but_malformed_entries_does_not_stop_the_feed(connection, monkeypatch) -> None:
    source = Pages()
    monkeypatch.setattr(change_feed.sources, "open_source", lambda *args, **kwargs: source)

    batch = change_feed.read_new(connection, 10, now=T0)

    assert [r.change.version for r in batch.changes] == [21] and batch.through == 21 and batch.skipped == 1
    assert source.asked[:2] == ["11", "20"]


def test_a_skipped_entry_is_a_warning_on_the_feed(polled) -> None:
    from compliance_monitor.erp.change_feed import Batch

    changes.ingest(polled.pk, Batch([], (polled.cursor or 0) + 3, None, skipped=1), now=T0)

    assert ChangeFeed.objects.get(pk=polled.pk).warning == "1 malformed change log entry skipped"


def test_switching_a_feed_off_and_on_again_starts_from_now_instead_of_replaying_what_happened_meanwhile(
    erp, connection, job
) -> None:
    change_feed.set_mode(connection, FeedMode.POLL, now=T0)
    change_feed.set_mode(connection, FeedMode.OFF, now=T0)
    book(erp, "ZBOZI", (material_product(), 5))  # while the feed was off: the next cron run's

    feed = change_feed.set_mode(connection, FeedMode.POLL, now=T0 + timedelta(seconds=1))

    assert feeds.poll(feed, now=T0 + timedelta(seconds=2)) == 0
    assert feed.cursor == erp.state.log(erp.state.company).global_version


def test_switching_between_poll_and_hook_keeps_the_cursor(erp, connection, job) -> None:
    polled = change_feed.set_mode(connection, FeedMode.POLL, now=T0)
    book(erp, "ZBOZI", (material_product(), 5))

    hooked = change_feed.set_mode(connection, FeedMode.HOOK, now=T0 + timedelta(seconds=1))

    assert hooked.cursor == polled.cursor
    assert feeds.read(hooked.pk, now=T0 + timedelta(seconds=2)) == 2  # nothing booked meanwhile was lost


def test_one_feed_failing_unexpectedly_does_not_stop_the_others(erp, connection, job, monkeypatch) -> None:
    other = Connection.objects.create(name="other", base_url=erp.url, company="demo", username="api")
    other.password = "pw"
    other.save()
    for each in (connection, other):
        change_feed.set_mode(each, FeedMode.POLL, now=T0)
    real = change_feed.read_new

    def broken_for_default(conn: Connection, cursor: int | None, *, now: Any) -> Any:
        if conn.name == "default":
            raise KeyError("a bug")
        return real(conn, cursor, now=now)

    monkeypatch.setattr(change_feed, "read_new", broken_for_default)
    book(erp, "ZBOZI", (material_product(), 5))

    assert feeds.poll_all(now=T0 + timedelta(seconds=1)) == 2  # the other feed's
    assert "KeyError" in ChangeFeed.objects.get(connection=connection).last_error


def test_a_hooked_feed_the_erp_stopped_calling_is_polled_after_the_fallback_interval(erp, connection, job) -> None:
    feed = change_feed.set_mode(connection, FeedMode.HOOK, now=T0)
    book(erp, "ZBOZI", (material_product(), 5))

    assert feeds.poll_all(now=T0 + timedelta(seconds=30)) == 0  # read recently: the hook's calls are awaited
    assert feeds.poll_all(now=T0 + timedelta(seconds=61)) == 2
    assert ChangeFeed.objects.get(pk=feed.pk).last_read_at == T0 + timedelta(seconds=61)


def test_a_change_that_came_in_while_a_full_run_was_reading_is_not_taken_as_covered(erp, poll, job) -> None:
    book(erp, "ZBOZI", (material_product(), 5))
    poll(T0 + timedelta(seconds=1))
    full = services.trigger(job, by="someone", now=T0 + timedelta(seconds=2))
    assert lifecycle.claim(full.pk, worker="w/1", now=T0 + timedelta(seconds=3)).execution is not None
    book(erp, "ZBOZI", (material_product(), 7))  # booked after the full run began reading
    poll(T0 + timedelta(seconds=4))

    runner._run_claimed(Execution.objects.get(pk=full.pk), clock=lambda: T0 + timedelta(seconds=5))

    assert PendingRecheck.objects.get().change_count == 4  # still waiting: its run comes next


def test_a_full_run_over_a_past_date_covers_no_change(erp, poll, job) -> None:
    book(erp, "ZBOZI", (material_product(), 5))
    poll(T0 + timedelta(seconds=1))
    audit = services.trigger(job, by="someone", now=T0 + timedelta(seconds=2), parameters={"date": "2026-02-01"})

    assert run(audit, T0 + timedelta(seconds=3)).status == Status.SUCCEEDED

    assert PendingRecheck.objects.exists()


def test_a_change_run_skipped_because_the_job_was_busy_waits_again(erp, poll, job) -> None:
    book(erp, "ZBOZI", (material_product(), 5))
    poll(T0 + timedelta(seconds=1))
    (change_run,) = changes.flush(now=T0 + timedelta(seconds=10))
    other = services.trigger(job, by="someone", now=T0 + timedelta(seconds=10))
    assert lifecycle.claim(other.pk, worker="w/1", now=T0 + timedelta(seconds=11)).execution is not None

    claim = lifecycle.claim(change_run.pk, worker="w/2", now=T0 + timedelta(seconds=11))

    assert claim.skipped_for == other.pk
    assert PendingRecheck.objects.get().scopes == ["ZBOZI"]


def test_a_cancelled_change_run_waits_again(erp, poll, job) -> None:
    book(erp, "ZBOZI", (material_product(), 5))
    poll(T0 + timedelta(seconds=1))
    (change_run,) = changes.flush(now=T0 + timedelta(seconds=10))

    services.cancel(change_run, by="someone", now=T0 + timedelta(seconds=11))

    pending = PendingRecheck.objects.get()
    assert (pending.scopes, pending.change_count) == (["ZBOZI"], 2)


def test_a_polled_change_waited_since_the_previous_read_so_its_window_closes_that_much_sooner(erp, poll, job) -> None:
    book(erp, "ZBOZI", (material_product(), 5))  # sometime after the feed's last read, at T0

    poll(T0 + timedelta(seconds=3))
    assert changes.flush(now=T0 + timedelta(seconds=4)) == []  # the window: 5 s from the previous read
    (first,) = changes.flush(now=T0 + timedelta(seconds=5))
    run(first, T0 + timedelta(seconds=6))

    book(erp, "ZBOZI", (material_product(), 6))
    poll(T0 + timedelta(seconds=30))  # the previous read was 27 s ago: it has waited long enough
    assert len(changes.flush(now=T0 + timedelta(seconds=30))) == 1


def test_a_change_a_hook_announced_opens_its_window_when_it_is_read(erp, connection, job) -> None:
    feed = change_feed.set_mode(connection, FeedMode.HOOK, now=T0)
    book(erp, "ZBOZI", (material_product(), 5))

    feeds.read(feed.pk, now=T0 + timedelta(seconds=30))

    assert changes.flush(now=T0 + timedelta(seconds=34)) == []  # a burst's later calls still join it
    assert len(changes.flush(now=T0 + timedelta(seconds=35))) == 1
