"""Job engine latency: manual trigger → run started, and cron due → run started.

    .venv/bin/python bench/engine_latency.py --profile embedded
    .venv/bin/python bench/engine_latency.py --profile distributed   # PostgreSQL + Redis on localhost

Starts the same processes as `manage.py serve` (a runs worker with 2 processes, a control worker, beat)
against a fresh database, with production settings (broker polling 0.1 s, heartbeats 5 s).
* trigger: N manual triggers one after another; latency = started_at - queued_at (the trigger's `now`).
* cron: K every-minute jobs due together at R real minute boundaries (a burst: K ticks, K runs on 2
  processes); latency = started_at - the boundary.
Prints a JSON summary (p50/p90/p99/max in seconds).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def configure(profile: str) -> Path:
    data_dir = Path(tempfile.mkdtemp(prefix=f"cm-bench-{profile}-"))
    os.environ.update(
        {
            "CM_DATA_DIR": str(data_dir),
            "CM_DIAGNOSTIC_CHECKS": "1",
            "DJANGO_SETTINGS_MODULE": "compliance_monitor.settings",
        }
    )
    if profile == "distributed":
        # Outside the embedded profile the settings refuse the built-in key; one for this run, shared by its processes.
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        os.environ.setdefault("CM_ENCRYPTION_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        subprocess.run(["psql", POSTGRES, "-qc", "DROP DATABASE IF EXISTS cm_bench"], check=True)
        subprocess.run(["psql", POSTGRES, "-qc", "CREATE DATABASE cm_bench"], check=True)
        subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=True, capture_output=True)
        os.environ.update(
            {"DATABASE_URL": POSTGRES.rsplit("/", 1)[0] + "/cm_bench", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13"}
        )
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("CELERY_BROKER_URL", None)
    import logging

    import django

    django.setup()
    logging.getLogger().setLevel(logging.WARNING)  # this process only; workers log at INFO
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def percentiles(samples: list[float]) -> dict[str, float]:
    from compliance_monitor.jobs.stats import percentile

    ordered = sorted(samples)
    return {
        "n": len(ordered),
        **{f"p{int(q * 100)}": round(percentile(ordered, q) or 0, 4) for q in (0.5, 0.9, 0.99)},
        "max": round(ordered[-1], 4),
    }


def bench_trigger(count: int) -> dict[str, float]:
    from django.utils import timezone

    from compliance_monitor.jobs import services
    from tests.processes import wait_until

    job = services.create_job(now=timezone.now(), name="bench-trigger", cron="0 0 1 1 *", checks=["diagnostics.pass"])
    latencies = []
    for _ in range(count):
        execution = services.trigger(job, by="bench", now=timezone.now())
        # Wait for the end, not the start: the next trigger would otherwise (rightly) be skipped.
        wait_until(lambda e=execution: (e.refresh_from_db(), e.is_final)[1], timeout=30, interval=0.005)
        assert execution.status == "succeeded", execution.status
        latencies.append((execution.started_at - execution.queued_at).total_seconds())
    return percentiles(latencies)


def bench_cron(rounds: int, jobs_per_round: int, logs: Path) -> dict[str, float]:
    """K every-minute jobs, R real minute boundaries: latency = started_at - the boundary (real clock)."""
    from django.utils import timezone

    from compliance_monitor.jobs import services
    from compliance_monitor.jobs.models import Execution
    from tests.processes import start_beat, wait_for_steady_beat, wait_until

    jobs = [
        services.create_job(now=timezone.now(), name=f"bench-cron-{k}", cron="* * * * *", checks=["diagnostics.pass"])
        for k in range(jobs_per_round)
    ]
    beat = start_beat(logs)
    latencies: list[float] = []
    try:
        wait_for_steady_beat(beat)
        first = (timezone.now() + timedelta(seconds=2)).replace(second=0, microsecond=0) + timedelta(minutes=1)
        for r in range(rounds):
            boundary = first + timedelta(minutes=r)
            runs = wait_until(lambda b=boundary: _started(Execution, jobs, b), timeout=90, interval=0.2)
            latencies += [(e.started_at - boundary).total_seconds() for e in runs]
    finally:
        beat.stop()
    return percentiles(latencies)


def _started(execution_model: type, jobs: list, slot: datetime) -> list | None:
    runs = list(execution_model.objects.filter(job__in=jobs, scheduled_for=slot, started_at__isnull=False))
    return runs if len(runs) == len(jobs) else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=["embedded", "distributed"], default="embedded")
    parser.add_argument("--triggers", type=int, default=200)
    parser.add_argument("--cron-rounds", type=int, default=3)
    parser.add_argument("--cron-jobs", type=int, default=10)
    args = parser.parse_args()
    data_dir = configure(args.profile)
    from compliance_monitor.jobs.management.commands.serve import CONTROL_PREFETCH
    from tests.processes import start_worker

    logs = data_dir / "logs"
    logs.mkdir()
    workers = [
        start_worker("runs", logs, queues="runs", concurrency=2, wait=False),
        start_worker("control", logs, queues="control", concurrency=1, wait=False, extra=CONTROL_PREFETCH),
    ]
    try:
        for worker in workers:
            worker.wait_for_output("ready.")
        result = {
            "profile": args.profile,
            "trigger_to_started": bench_trigger(args.triggers),
            "cron_due_to_started": bench_cron(args.cron_rounds, args.cron_jobs, logs),
        }
    finally:
        for worker in workers:
            worker.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
