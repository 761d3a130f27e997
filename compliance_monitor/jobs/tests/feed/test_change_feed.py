"""Issue 13: a booking in the ERP becomes an alert within seconds, from its change log — nothing lost, nothing doubled.

A Flexi-format server over loopback books stock (``PUT skladovy-pohyb.json``) and keeps a change log; the feed is
the real poller and hook receiver, the runs are the real runner and alert review, time is an argument.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from compliance_monitor.checks.defaults import ensure_default_rules
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp import change_feed, synthetic
from compliance_monitor.erp.models import ChangeFeed, Connection, FeedMode
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.jobs import changes, dispatch, feeds, runner, services
from compliance_monitor.jobs.models import Execution, Job, PendingRecheck, Status, Trigger
from compliance_monitor.jobs.tests.feed.conftest import T0, Poll, book, material_product, run, zbozi_alert
from tests.erp_connection import ensure_original_reports

pytestmark = pytest.mark.django_db(transaction=True)  # the runner's heartbeat thread has its own connection


def test_a_booking_becomes_an_alert_naming_its_document_without_any_cron_run(erp, poll: Poll, job: Job) -> None:
    product = material_product()
    book(erp, "ZBOZI", (product, 5))

    assert poll(T0 + timedelta(seconds=1)) == 2  # the document and its line
    assert changes.flush(now=T0 + timedelta(seconds=2)) == []  # the coalescing window is still open
    (execution,) = changes.flush(now=T0 + timedelta(seconds=7))
    assert (execution.trigger, execution.warehouses, execution.checks) == (Trigger.CHANGE, ["ZBOZI"], [CHECK_NAME])
    assert "2 change(s)" in execution.reason and "skladovy-pohyb-polozka" in execution.reason

    done = run(execution, T0 + timedelta(seconds=8))

    assert done.status == Status.SUCCEEDED
    alert = zbozi_alert()
    assert alert is not None and product in alert.message
    violation = done.check_results.get(warehouse="ZBOZI").violations.get(product_code=product)
    culprit = violation.detail["culprit"]
    assert culprit["document"].startswith("SP-0001/") and culprit["user"] == "api"
    assert culprit["link"] == f"{erp.url}/c/demo/skladovy-pohyb/1"
    assert not Execution.objects.filter(trigger=Trigger.SCHEDULED).exists()
    assert set(done.check_results.values_list("warehouse", flat=True)) == {"ZBOZI"}  # one scope only


def test_a_crash_between_reading_changes_and_queuing_the_run_loses_nothing(erp, poll, polled, monkeypatch) -> None:
    book(erp, "ZBOZI", (material_product(), 5))
    cursor = ChangeFeed.objects.get(pk=polled.pk).cursor

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(changes, "_merge", crash)
    with pytest.raises(RuntimeError):
        poll(T0 + timedelta(seconds=1))
    assert ChangeFeed.objects.get(pk=polled.pk).cursor == cursor  # the cursor did not move past what was lost
    assert not PendingRecheck.objects.exists()

    monkeypatch.undo()
    assert poll(T0 + timedelta(seconds=2)) == 2  # read again from the cursor
    assert len(changes.flush(now=T0 + timedelta(seconds=10))) == 1


def test_pending_scopes_survive_until_flushed_and_a_second_poll_adds_nothing(erp, poll, polled) -> None:
    book(erp, "ZBOZI", (material_product(), 5))
    poll(T0 + timedelta(seconds=1))

    assert poll(T0 + timedelta(seconds=2)) == 0  # nothing new: the cursor moved
    pending = PendingRecheck.objects.get()
    assert (pending.scopes, pending.change_count) == (["ZBOZI"], 2)


def test_a_burst_of_a_thousand_changes_makes_one_run_and_a_bounded_number_of_requests(erp, poll, polled) -> None:
    codes = [f"MAT{n % 40:05d}" for n in range(999)]
    book(erp, "ZBOZI", *((code, 1) for code in codes))
    before = erp.state.requests

    assert poll(T0 + timedelta(seconds=1)) == 1000
    queued = changes.flush(now=T0 + timedelta(seconds=10))

    assert len(queued) == 1
    assert erp.state.requests - before <= change_feed.MAX_RECORD_READS + 5
    assert Execution.objects.filter(trigger=Trigger.CHANGE).count() == 1
    assert queued[0].context["change_count"] == 1000 and len(queued[0].context["changes"]) == changes.MAX_CAUSES


def test_a_busy_job_keeps_its_scopes_pending_and_they_run_right_after(erp, poll, job, monkeypatch) -> None:
    flushes: list[int | None] = []
    monkeypatch.setattr(dispatch, "send_flush", lambda job_id=None, **kw: flushes.append(job_id))
    running = services.trigger(job, by="someone", now=T0)
    from compliance_monitor.jobs import lifecycle

    assert lifecycle.claim(running.pk, worker="w/1", now=T0).execution is not None  # holds the lease
    book(erp, "ZBOZI", (material_product(), 5))
    poll(T0 + timedelta(seconds=1))

    assert changes.flush(now=T0 + timedelta(seconds=10)) == []  # busy: the scopes wait
    assert PendingRecheck.objects.filter(job=job).exists()

    runner._run_claimed(Execution.objects.get(pk=running.pk), clock=lambda: T0 + timedelta(seconds=11))
    assert flushes == [None, job.pk]  # the poll asked for a flush after the window; the finished run, at once
    (after,) = changes.flush(now=T0 + timedelta(seconds=12), job_ids=[job.pk])
    assert after.trigger == Trigger.CHANGE


def test_a_full_run_that_succeeds_covers_what_waited_since_before_it_started(erp, poll, job) -> None:
    book(erp, "ZBOZI", (material_product(), 5))
    poll(T0 + timedelta(seconds=1))
    full = services.trigger(job, by="someone", now=T0 + timedelta(seconds=2))

    run(full, T0 + timedelta(seconds=3))

    assert not PendingRecheck.objects.exists()  # the full read saw the booking: no change run needed


def test_a_failing_change_run_is_not_retried_nor_counted_toward_auto_disable_and_its_scopes_wait(
    erp, poll, job
) -> None:
    book(erp, "ZBOZI", (material_product(), 5))
    poll(T0 + timedelta(seconds=1))
    (execution,) = changes.flush(now=T0 + timedelta(seconds=10))
    erp.set_faults(status=500)

    done = run(execution, T0 + timedelta(seconds=11))

    job.refresh_from_db()
    assert done.status == Status.FAILED
    assert job.consecutive_failures == 0 and job.enabled
    assert not Execution.objects.filter(trigger=Trigger.RETRY).exists()
    pending = PendingRecheck.objects.get()  # waits again, with its causes
    assert pending.scopes == ["ZBOZI"] and pending.causes
    assert changes.flush(now=T0 + timedelta(seconds=30)) == []  # paused while the ERP fails

    erp.set_faults()
    run(services.trigger(job, by="cron", now=T0 + timedelta(seconds=40)), T0 + timedelta(seconds=41))
    assert not PendingRecheck.objects.exists()  # the successful full run covered them


def test_a_change_in_a_warehouse_the_job_does_not_check_runs_nothing(erp, poll, job) -> None:
    Job.objects.filter(pk=job.pk).update(warehouses=["MATERIAL"])
    book(erp, "ZBOZI", (material_product(), 5))

    poll(T0 + timedelta(seconds=1))

    assert not PendingRecheck.objects.exists()


def test_changes_api_off_is_a_warning_on_the_feed_and_cron_still_runs(erp, connection, job) -> None:
    erp.state.log(erp.state.company).enabled = False

    feed = change_feed.set_mode(connection, FeedMode.POLL, now=T0)
    assert "not enabled" in feed.warning
    assert feeds.poll(feed, now=T0 + timedelta(seconds=10)) == 0
    assert "not enabled" in ChangeFeed.objects.get(pk=feed.pk).warning

    done = run(services.trigger(job, by="cron", now=T0 + timedelta(seconds=20)), T0 + timedelta(seconds=21))
    assert done.status == Status.SUCCEEDED


def test_no_rights_to_the_change_log_is_a_warning_saying_so(erp, connection) -> None:
    erp.set_faults(status=403)

    feed = change_feed.set_mode(connection, FeedMode.POLL, now=T0)

    assert "HTTP 403" in feed.warning


def hook_url(feed: ChangeFeed, secret: str | None = None) -> str:
    return f"/hooks/flexi/{feed.connection.name}/{secret if secret is not None else feed.hook_secret}"


def test_a_hook_with_a_wrong_secret_is_refused_with_a_404_and_asks_for_no_read(
    client, connection, job, monkeypatch
) -> None:
    reads: list[int] = []
    monkeypatch.setattr(dispatch, "send_feed_read", reads.append)
    feed = change_feed.set_mode(connection, FeedMode.HOOK, now=T0)
    body = {"winstrom": {"changes": [{"@evidence": "cenik", "@in-version": str((feed.cursor or 0) + 2), "id": "1"}]}}

    for url in (hook_url(feed, "wrong"), hook_url(feed, ""), f"/hooks/flexi/nosuch/{feed.hook_secret}"):
        assert client.post(url, body, content_type="application/json").status_code == 404
    assert reads == []
    answer = client.post(hook_url(feed), body, content_type="application/json")
    assert (answer.status_code, answer.json(), reads) == (200, {"accepted": 1}, [feed.pk])


def test_a_hook_on_a_disabled_connection_or_a_feed_switched_to_polling_is_a_404(client, connection, job) -> None:
    feed = change_feed.set_mode(connection, FeedMode.HOOK, now=T0)
    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    assert client.post(hook_url(feed), {}, content_type="application/json").status_code == 404

    Connection.objects.filter(pk=connection.pk).update(enabled=True)
    change_feed.set_mode(connection, FeedMode.POLL, now=T0)
    assert client.post(hook_url(feed), {}, content_type="application/json").status_code == 404


def test_the_erps_empty_test_call_is_accepted(client, connection, job) -> None:
    feed = change_feed.set_mode(connection, FeedMode.HOOK, now=T0)

    answer = client.post(hook_url(feed), b"", content_type="application/json")

    assert (answer.status_code, answer.json()) == (200, {"accepted": 0})


def test_a_hook_body_is_only_a_signal_a_forged_change_list_moves_no_cursor(erp, client, connection, job) -> None:
    feed = change_feed.set_mode(connection, FeedMode.HOOK, now=T0)
    forged = {"winstrom": {"changes": [{"@evidence": "cenik", "@in-version": "999999999", "id": "1"}]}}
    assert client.post(hook_url(feed), forged, content_type="application/json").status_code == 200
    assert ChangeFeed.objects.get(pk=feed.pk).cursor == feed.cursor  # nothing read yet, nothing believed

    book(erp, "ZBOZI", (material_product(), 5))
    assert feeds.read(feed.pk, now=T0 + timedelta(seconds=1)) == 2  # what the hook's task does: read the log

    assert ChangeFeed.objects.get(pk=feed.pk).cursor < 999999999
    assert PendingRecheck.objects.get().scopes == ["ZBOZI"]


def test_hook_and_poll_delivering_the_same_changes_make_one_run(erp, client, connection, job) -> None:
    feed = change_feed.set_mode(connection, FeedMode.HOOK, now=T0)
    book(erp, "ZBOZI", (material_product(), 5))
    body = httpx.get(f"{erp.url}/c/demo/changes.json?start={(feed.cursor or 0) + 1}", auth=("api", "pw")).json()

    for _ in range(2):  # a redelivery, and each call's read
        assert client.post(hook_url(feed), body, content_type="application/json").status_code == 200
        feeds.read(feed.pk, now=T0 + timedelta(seconds=1))
    assert feeds.poll(ChangeFeed.objects.get(pk=feed.pk), now=T0 + timedelta(seconds=1)) == 0  # poll on too

    assert PendingRecheck.objects.get().change_count == 2
    assert len(changes.flush(now=T0 + timedelta(seconds=10))) == 1


def test_a_hook_body_that_is_not_a_change_list_is_a_400(client, connection, job) -> None:
    feed = change_feed.set_mode(connection, FeedMode.HOOK, now=T0)

    answer = client.post(hook_url(feed), "not json", content_type="application/json")

    assert answer.status_code == 400 and "body" in answer.json()["detail"]
    huge = b'{"winstrom": {"changes": []}}' + b" " * feeds.MAX_HOOK_BYTES
    assert client.post(hook_url(feed), huge, content_type="application/json").status_code == 413


def test_a_booking_in_the_demo_company_is_polled_and_found_in_process(transactional_db: None) -> None:
    from compliance_monitor.erp import demo
    from compliance_monitor.erp.connections import ensure_connections

    ensure_connections(now=T0)
    ensure_default_rules(WarehouseRule)
    ensure_original_reports()
    demo_connection = Connection.objects.get(is_demo=True)
    job = services.create_job(now=T0, name="demo", cron="0 * * * *", checks=[CHECK_NAME], connection=demo_connection)
    services.ensure_demo(now=T0)  # the demo's feed polls by default
    feed = ChangeFeed.objects.get(connection=demo_connection)
    assert feed.mode == FeedMode.POLL
    Execution.objects.all().delete()  # the start-up runs: not what this test is about
    product = next(code for code in (f"MAT{i:05d}" for i in range(40)) if _material(code))

    demo.book("ZBOZI", [(product, 9)], user="kate", now=T0)
    assert feeds.poll(ChangeFeed.objects.get(pk=feed.pk), now=T0 + timedelta(seconds=1)) == 2
    (execution,) = changes.flush(now=T0 + timedelta(seconds=10), job_ids=[job.pk])
    done = run(execution, T0 + timedelta(seconds=11))

    violation = done.check_results.get(warehouse="ZBOZI").violations.get(product_code=product)
    assert (violation.quantity, violation.detail["culprit"]["user"]) == (9, "kate")


def test_the_demos_dispatch_store_is_checked_and_a_misplaced_booking_there_raises_a_new_alert(
    transactional_db: None,
) -> None:
    from compliance_monitor.alerts.models import Alert, EventKind
    from compliance_monitor.erp import demo
    from compliance_monitor.erp.connections import ensure_connections

    ensure_connections(now=T0)
    ensure_default_rules(WarehouseRule)
    ensure_original_reports()
    demo_connection = Connection.objects.get(is_demo=True)
    services.ensure_demo(now=T0)  # its dispatch store's rule, its polled feed, its job
    job = Job.objects.get(name=services.DEMO_JOB_NAME)
    run(Execution.objects.get(job=job), T0)  # the first run: the dispatch store is tidy
    assert not Alert.objects.filter(warehouse="EXPEDICE").exists()
    feed = ChangeFeed.objects.get(connection=demo_connection)

    demo.book("EXPEDICE", [("MAT00001", 4)], user="kate", now=T0)
    feeds.poll(feed, now=T0 + timedelta(seconds=1))
    (execution,) = changes.flush(now=T0 + timedelta(seconds=10), job_ids=[job.pk])
    run(execution, T0 + timedelta(seconds=11))

    alert = Alert.objects.get(warehouse="EXPEDICE")
    assert alert.events.filter(kind=EventKind.RAISED).exists() and "MAT00001" in alert.message
    assert alert.execution_id == execution.pk  # raised by the change run


def _material(code: str) -> bool:
    company = synthetic.Company()
    store = company.warehouse("code:MATERIAL")
    assert store is not None
    group = company.group_of(store, int(code[3:]))[1]
    return group is not None and group.code == "MATERIAL"


def test_the_cli_switches_the_feed_registers_the_hook_without_printing_its_secret_and_removes_it(
    erp: FlexiServer, connection: Connection
) -> None:
    from io import StringIO

    from django.core.management import call_command

    def cli(*args: str) -> str:
        out = StringIO()
        call_command("connections", *args, stdout=out)
        return out.getvalue()

    assert "change feed of default: poll" in cli("feed", "default", "--mode", "poll")
    registered = cli("hook", "register", "default", "--url", "https://monitor.example.com/")
    secret = ChangeFeed.objects.get(connection=connection).hook_secret

    assert "https://monitor.example.com/hooks/flexi/default/…" in registered and secret not in registered
    assert list(erp.state.log(erp.state.company).hooks.values()) == [
        f"https://monitor.example.com/hooks/flexi/default/{secret}"
    ]
    status = cli("hook", "status", "default")
    assert "hook 1: https://monitor.example.com/hooks/flexi/default/…" in status and secret not in status
    assert "removed 1 hook(s)" in cli("hook", "remove", "default")
    assert erp.state.log(erp.state.company).hooks == {}


def test_registering_again_is_idempotent_rotating_replaces_the_url_and_another_installations_hook_is_left_alone(
    erp: FlexiServer, connection: Connection
) -> None:
    from compliance_monitor.erp import feed_hooks

    hooks = erp.state.log(erp.state.company).hooks
    hooks[7] = "https://other-monitor.example.com/hooks/flexi/default/their-own-secret"
    feed_hooks.register(connection, "https://monitor.example.com", now=T0)
    feed_hooks.register(connection, "https://monitor.example.com", now=T0)
    old = ChangeFeed.objects.get(connection=connection).hook_secret
    assert len(hooks) == 2

    feed_hooks.register(connection, "https://monitor.example.com", rotate=True, now=T0)

    new = ChangeFeed.objects.get(connection=connection).hook_secret
    assert new != old
    assert sorted(hooks.values()) == sorted([f"https://monitor.example.com/hooks/flexi/default/{new}", hooks[7]])
    assert feed_hooks.remove(connection, now=T0) == 1 and list(hooks) == [7]
