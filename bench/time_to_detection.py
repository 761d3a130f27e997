"""Time to detection (issue 13): a misplaced booking in the ERP → its alert committed → its critical e-mail accepted.

    .venv/bin/python bench/time_to_detection.py --profile embedded --mode poll      # or distributed, hook

The production path and processes: a Flexi-format server in this process books stock and keeps a change log; a
runs worker, a control worker and beat (and, for ``--mode hook``, the web server the ERP POSTs to) with the
default feed settings (poll every ``CM_CHANGE_POLL_SECONDS`` = 10 s, coalesce ``CM_CHANGE_WINDOW_SECONDS`` = 5 s).
Each sample books 11 misplaced products (a critical alert: more than 10 violations) into a warehouse of its own
that was clean, one booking every ``--spacing`` seconds without waiting for the previous one (bookings overlap and
coalesce, as in a working day). Latency = the alert's ``raised_at`` - the booking, and the SMTP server's acceptance
of the e-mail naming that warehouse - the booking.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_latency import configure, percentiles  # noqa: E402
from bench.facts import run_facts  # noqa: E402

MATERIAL_HOME, PRODUCTS_HOME = 3, 8


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.mails.append((time.time(), envelope.content.decode("utf-8", "replace")))
        return "250 OK"

    def first_naming(self, text: str) -> float | None:
        with self.lock:
            return next((at for at, body in self.mails if text in body), None)


def company(samples: int) -> Any:
    from compliance_monitor.erp.synthetic import Company, Warehouse

    targets = [Warehouse(100 + n, f"Z{n:03d}", f"Store {n}", PRODUCTS_HOME) for n in range(samples)]
    stores = (Warehouse(5, "MATERIAL", "Material", MATERIAL_HOME), *targets)
    return Company(code="demo", warehouses=stores, products_per_warehouse=40, misplaced_percent=0)


def material_products(found: Any, count: int) -> list[str]:
    store = found.warehouse("code:MATERIAL")
    codes = [
        f"MAT{i:05d}" for i in range(40) if (g := found.group_of(store, i)[1]) is not None and g.id == MATERIAL_HOME
    ]
    assert len(codes) >= count, codes
    return codes[:count]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--mode", choices=["poll", "hook"], default="poll")
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--spacing", type=float, default=2.0, help="seconds between bookings")
    args = parser.parse_args()
    os.environ.setdefault("CM_CHANGE_POLL_SECONDS", "10")
    os.environ.setdefault("CM_CHANGE_WINDOW_SECONDS", "5")
    data_dir = configure(args.profile)

    import httpx
    from aiosmtpd.controller import Controller
    from django.utils import timezone

    from compliance_monitor.alerts.models import Alert, AlertType
    from compliance_monitor.checks.models import WarehouseRule
    from compliance_monitor.checks.warehouse import CHECK_NAME
    from compliance_monitor.erp import change_feed, connections, feed_hooks
    from compliance_monitor.erp.models import FeedMode
    from compliance_monitor.erp.server import FlexiServer, FlexiState
    from compliance_monitor.jobs import services
    from compliance_monitor.jobs.management.commands.serve import CONTROL_PREFETCH, Command
    from compliance_monitor.notifications.models import Recipient
    from compliance_monitor.notifications.tests.conftest import free_port
    from tests.erp_connection import ensure_original_reports
    from tests.processes import Process, start_beat, start_worker, wait_until

    found = company(args.samples)
    erp = FlexiServer(FlexiState(found, username="api", password="pw")).start_in_thread()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port)}
    logs = data_dir / "logs"
    logs.mkdir()

    ensure_original_reports()
    connection = connections.create_connection(
        now=timezone.now(), name="erp", base_url=erp.url, company="demo", username="api", password="pw"
    )
    targets = [w.code for w in found.warehouses[1:]]
    for code in targets:
        WarehouseRule.objects.create(connection=connection, warehouse_code=code, allowed=[str(PRODUCTS_HOME)])
    Recipient.objects.create(name="bench", email="bench@example.com", connection=connection, warehouses=targets)
    services.create_job(now=timezone.now(), name="stock", cron="0 0 1 1 *", checks=[CHECK_NAME], connection=connection)

    processes = [
        start_worker("runs", logs, queues="runs", concurrency=2, wait=False, env=env),
        start_worker("control", logs, queues="control", concurrency=1, wait=False, env=env, extra=CONTROL_PREFETCH),
    ]
    if args.mode == "hook":  # the web server as `manage.py serve` runs it (gunicorn, two workers)
        port = free_port()
        (web,) = [child for child in Command()._children("127.0.0.1", port, 1) if child.name == "web"]
        processes.append(Process("web", web.args, logs, env=env))
    feed = change_feed.set_mode(connection, FeedMode(args.mode), now=timezone.now())
    lines = material_products(found, 11)
    booked: dict[str, float] = {}
    try:
        for process in processes[:2]:
            process.wait_for_output("ready.")
        if args.mode == "hook":
            processes[2].wait_for_output("Booting worker")
            wait_until(lambda: _answers(f"http://127.0.0.1:{port}"), timeout=30, what="the web server")
            feed_hooks.register(connection, f"http://127.0.0.1:{port}", now=timezone.now())
        processes.append(start_beat(logs))
        if args.mode == "poll":  # beat's first tick has read the feed: the poller is running
            wait_until(lambda: _read_since(feed), timeout=60, interval=0.1, what="the first poll")
        for code in targets:
            document = {"sklad": f"code:{code}", "polozkyDokladu": [{"cenik": f"code:{p}", "mnozMj": 2} for p in lines]}
            booked[code] = time.time()
            answer = httpx.put(
                f"{erp.url}/c/demo/skladovy-pohyb.json",
                json={"winstrom": {"skladovy-pohyb": [document]}},
                auth=("api", "pw"),
            )
            assert answer.status_code == 200, answer.text
            time.sleep(args.spacing)
        raised = wait_until(lambda: _raised(Alert, AlertType, targets), timeout=180, interval=0.2, what="every alert")
        mailed = wait_until(lambda: _mailed(inbox, targets), timeout=180, interval=0.2, what="every e-mail")
    finally:
        for process in reversed(processes):
            process.stop()
        smtp.stop()
        erp.shutdown()
    to_alert = [raised[code] - booked[code] for code in targets]
    to_mail = [mailed[code] - booked[code] for code in targets]
    result = {
        **run_facts(),
        "profile": args.profile,
        "mode": args.mode,
        "samples": args.samples,
        "spacing_seconds": args.spacing,
        "poll_seconds": float(os.environ["CM_CHANGE_POLL_SECONDS"]),
        "window_seconds": float(os.environ["CM_CHANGE_WINDOW_SECONDS"]),
        "booking_to_alert_committed": percentiles(to_alert),
        "booking_to_mail_accepted": percentiles(to_mail),
    }
    print(json.dumps(result, indent=2))


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/healthz/live", timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def _read_since(feed: Any) -> bool:
    from compliance_monitor.erp.models import ChangeFeed

    return ChangeFeed.objects.get(pk=feed.pk).last_read_at != feed.last_read_at


def _raised(alert: Any, kind: Any, targets: list[str]) -> dict[str, float] | None:
    rows = alert.objects.filter(type=kind.COMPLIANCE_VIOLATION, warehouse__in=targets, severity=4)
    found = {a.warehouse: a.raised_at.timestamp() for a in rows}
    return found if len(found) == len(targets) else None


def _mailed(inbox: Inbox, targets: list[str]) -> dict[str, float] | None:
    found = {code: at for code in targets if (at := inbox.first_naming(f"warehouse {code}")) is not None}
    return found if len(found) == len(targets) else None


if __name__ == "__main__":
    main()
