"""Issue 13 end to end: a booking in the ERP becomes an alert in seconds — real workers, real beat polling the
change log of the Flexi-format server, no cron run and no test calling a service in between."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from compliance_monitor.alerts.models import Alert, AlertType
from compliance_monitor.checks.warehouse import CHECK_NAME
from compliance_monitor.erp import change_feed, synthetic
from compliance_monitor.erp.models import Connection, FeedMode
from compliance_monitor.erp.server import FlexiServer
from compliance_monitor.jobs.models import Execution, Trigger
from tests.acceptance.helpers import make_job
from tests.processes import start_beat, wait_until

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
    make_job("realtime", cron="0 0 1 1 *", checks=[CHECK_NAME])  # its cron run is months away
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
