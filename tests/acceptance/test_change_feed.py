"""Issue 13 end to end: a booking in the ERP becomes an alert in seconds — real workers, real beat polling the
change log of the Flexi-format server, no cron run and no test calling a service in between."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from compliance_monitor.alerts.models import Alert, AlertType
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp import change_feed, feed_hooks, synthetic
from compliance_monitor.erp.models import Connection, FeedMode
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.jobs.models import Execution, Trigger
from tests.acceptance.helpers import make_job
from tests.processes import Process, start_beat, wait_until

pytestmark = pytest.mark.workers


def material_product(company: synthetic.Company) -> str:
    store = company.warehouse("code:MATERIAL")
    assert store is not None
    return next(
        f"MAT{i:05d}" for i in range(40) if (g := company.group_of(store, i)[1]) is not None and g.code == "MATERIAL"
    )


def test_a_booking_in_the_erp_becomes_an_alert_in_seconds_without_a_cron_run(
    engine: object, erp: FlexiServer, process_logs: Path
) -> None:
    make_job("realtime", checks=[CHECK_NAME])  # its cron run is months away
    change_feed.set_mode(Connection.objects.get(name="default"), FeedMode.POLL, now=timezone.now())
    product = material_product(erp.state.company)
    beat = start_beat(process_logs)
    try:
        booked_at = time.monotonic()
        document = {"sklad": "code:ZBOZI", "polozkyDokladu": [{"cenik": f"code:{product}", "mnozMj": 4}]}
        answer = httpx.put(
            f"{erp.url}/c/demo/skladovy-pohyb.json",
            json={"winstrom": {"skladovy-pohyb": [document]}},
            auth=("api", "pw"),
        )
        assert answer.status_code == 200

        alert = wait_until(lambda: _alert_naming(product), timeout=30, interval=0.1, what="the booking's alert")
        seconds = time.monotonic() - booked_at
    finally:
        beat.stop()
        erp.state.logs.clear()  # the session's ERP holds no booking for the tests after this one
    print(f"booking → alert committed in {seconds:.1f} s (poll every 1 s, window 1 s)")
    run = Execution.objects.get(pk=alert.last_execution_id)
    assert (run.trigger, run.warehouses) == (Trigger.CHANGE, ["ZBOZI"])
    culprit = run.check_results.get(warehouse="ZBOZI").violations.get(product_code=product).detail["culprit"]
    assert culprit["document"].startswith("SP-") and culprit["user"] == "api"
    assert not Execution.objects.filter(trigger=Trigger.SCHEDULED).exists()
    assert seconds < 15


def _alert_naming(product: str) -> Alert | None:
    alert = Alert.objects.filter(type=AlertType.COMPLIANCE_VIOLATION, warehouse="ZBOZI").first()
    return alert if alert is not None and product in alert.message else None


def test_a_hook_call_becomes_an_alert_in_seconds_and_no_log_line_holds_its_secret(
    engine: object, erp: FlexiServer, process_logs: Path
) -> None:
    make_job("realtime-hook", checks=[CHECK_NAME])
    connection = Connection.objects.get(name="default")
    feed = change_feed.set_mode(connection, FeedMode.HOOK, now=timezone.now())
    web, url = _web_server(process_logs)
    product = material_product(erp.state.company)
    try:  # no beat: nothing polls — only the ERP's call can lead to the alert
        feed_hooks.register(connection, url, now=timezone.now())
        wrong = httpx.post(f"{url}/hooks/flexi/default/not-the-secret", json={})
        garbled = httpx.post(url + change_feed.hook_path(connection, feed.hook_secret), content=b"not json")
        booked_at = time.monotonic()
        document = {"sklad": "code:ZBOZI", "polozkyDokladu": [{"cenik": f"code:{product}", "mnozMj": 3}]}
        httpx.put(
            f"{erp.url}/c/demo/skladovy-pohyb.json",
            json={"winstrom": {"skladovy-pohyb": [document]}},
            auth=("api", "pw"),
        )

        wait_until(lambda: _alert_naming(product), timeout=30, interval=0.1, what="the hooked booking's alert")
        seconds = time.monotonic() - booked_at
    finally:
        web.stop()
        erp.state.logs.clear()
    print(f"booking → hook → alert committed in {seconds:.1f} s")
    assert (wrong.status_code, garbled.status_code) == (404, 400)
    assert 'POST /hooks/flexi/default/… HTTP/1.1" 400' in web.output()  # the access log, masked
    every_log = "".join(path.read_text(errors="replace") for path in process_logs.glob("*.log"))
    assert feed.hook_secret not in every_log
    assert seconds < 10


def _web_server(process_logs: Path) -> tuple[Process, str]:
    """The web half of ``manage.py serve``: gunicorn with the access log and logger class it runs with."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from compliance_monitor.jobs.management.commands.serve import Command

    (child,) = [child for child in Command()._children("127.0.0.1", port, 1) if child.name == "web"]
    args = list(child.args)
    args[args.index("-w") + 1] = "1"  # one web worker is enough here
    web = Process("web", args, process_logs)
    web.wait_for_output("Booting worker")
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(url), timeout=30, what="the web server")
    return web, url


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz/live", timeout=1).status_code < 500
    except httpx.HTTPError:
        return False
