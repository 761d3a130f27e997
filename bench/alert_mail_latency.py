"""Violation found → e-mail accepted by the SMTP server (issue 4's target: p99 ≤ 2 s).

    .venv/bin/python bench/alert_mail_latency.py --profile embedded      # or distributed

Production path and processes (runs worker, control worker): the run commits, the alert task reviews it,
the alert and its deliveries commit together, a send task mails through Django's SMTP backend to a real
SMTP server (aiosmtpd) in this process. Each sample is a run that finds 12 violations (a new critical
alert) followed by a clean run (which resolves it, so the next dirty run raises a new one).
Latency = the SMTP server's acceptance time - the run's finished_at (when the violation was recorded).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_latency import configure, percentiles  # noqa: E402


class Timed:
    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.arrived:
            self.arrivals.append(time.time())
            self.arrived.notify_all()
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    data_dir = configure(args.profile)

    from aiosmtpd.controller import Controller
    from django.utils import timezone

    from compliance_monitor.alerts.models import Alert
    from compliance_monitor.jobs import services
    from compliance_monitor.jobs.management.commands.serve import CONTROL_PREFETCH
    from compliance_monitor.notifications.models import Recipient
    from compliance_monitor.notifications.tests.conftest import free_port
    from tests.processes import start_worker, wait_until

    inbox = Timed()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port)}
    logs = data_dir / "logs"
    logs.mkdir()
    workers = [
        start_worker("runs", logs, queues="runs", concurrency=2, wait=False, env=env),
        start_worker("control", logs, queues="control", concurrency=1, wait=False, env=env, extra=CONTROL_PREFETCH),
    ]
    latencies = []
    try:
        for worker in workers:
            worker.wait_for_output("ready.")
        Recipient.objects.create(name="bench", email="bench@example.com", warehouses=["MATERIAL"])
        job = services.create_job(
            now=timezone.now(), name="bench-mail", cron="0 0 1 1 *", checks=["diagnostics.violations"]
        )
        for _ in range(args.samples):
            mails = len(inbox.arrivals)
            dirty = run(job, 12, services, timezone, wait_until)
            with inbox.arrived:
                assert inbox.arrived.wait_for(lambda m=mails: len(inbox.arrivals) > m, timeout=30), "no mail"
            latencies.append(inbox.arrivals[-1] - dirty.finished_at.timestamp())
            run(job, 0, services, timezone, wait_until)
            wait_until(lambda: not Alert.objects.exclude(state="resolved").exists(), timeout=30, interval=0.01)
    finally:
        for worker in workers:
            worker.stop()
        smtp.stop()
    print(json.dumps({"profile": args.profile, "violation_to_mail_accepted": percentiles(latencies)}, indent=2))


def run(job: Any, count: int, services: Any, timezone: Any, wait_until: Any) -> Any:
    execution = services.trigger(
        job, by="bench", now=timezone.now(), warehouses=["MATERIAL"], parameters={"count": count}
    )
    wait_until(lambda: (execution.refresh_from_db(), execution.is_final)[1], timeout=30, interval=0.005)
    return execution


if __name__ == "__main__":
    main()
