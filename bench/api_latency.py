"""REST API latency on PostgreSQL with 1,000,000 executions of 1,000 jobs (issue 5).

    .venv/bin/python bench/api_latency.py [--executions 1000000] [--jobs 1000]

Builds a fresh database `cm_api_bench` (executions generated in SQL over the last 60 days), starts gunicorn
(sync workers, persistent connections) and measures, with a real bearer token over loopback:
* history: `GET /api/v1/jobs/{name}/executions?limit=50` for random jobs from 100 concurrent clients, each
  sending 1, then 2 requests per second (a paced closed loop: each client waits for its answer, then sleeps the rest
  of its interval — a slow answer delays its next request, so under saturation this understates the wait);
  and the same 100 clients back-to-back (closed loop: saturation throughput and latency);
* health: `GET /api/v1/health` (1,000 jobs) from one client (latency), then 10 back-to-back (throughput);
* statistics: `GET /api/v1/jobs/{name}/statistics?days=30`, sequentially.
The load generator (raw asyncio, one process) shares the 2 cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_URL = "postgres://postgres@127.0.0.1:5432/cm_api_bench"
# Outside the embedded profile the settings refuse the built-in key; the server inherits this one.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))


def psql(sql: str, url: str = BENCH_URL) -> None:
    subprocess.run(["psql", url, "-qc", sql], check=True)


def build_database(jobs: int, executions: int, url: str = BENCH_URL) -> str:
    """A fresh database at `url`: hourly jobs (minute n % 60, every warehouse) and their history, in SQL."""
    name = url.rsplit("/", 1)[1]
    psql(f"DROP DATABASE IF EXISTS {name}", ADMIN_URL)
    psql(f"CREATE DATABASE {name}", ADMIN_URL)
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "compliance_monitor.settings"})
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from compliance_monitor.api import tokens

    call_command("migrate", verbosity=0)
    psql(
        f"""
        INSERT INTO jobs_job (name, description, cron, timezone, checks, warehouses, default_parameters, queue,
            enabled, disabled_reason, disabled_by, timeout_seconds, max_retries, retry_backoff_seconds,
            auto_disable_on_failures, max_consecutive_failures, last_status, last_error, execution_count,
            failure_count, consecutive_failures, created_at, updated_at)
        SELECT 'job-' || n, '', (n % 60) || ' * * * *', 'UTC', '["warehouse.product_types"]', '[]', '{{}}', 'runs',
            true, '', '', 1200, 2, 60, true, 5, 'succeeded', '', {executions // jobs}, 0, 0, now(), now()
        FROM generate_series(1, {jobs}) AS n;
        INSERT INTO jobs_execution (id, job_id, status, trigger, triggered_by, reason, parameters, warehouses,
            queued_at, started_at, finished_at, duration_seconds, worker, attempt, error_type, error_message,
            error_traceback, total_reports, successful_reports, violation_reports, context)
        SELECT gen_random_uuid(), j.id,
            CASE WHEN i % 20 = 0 THEN 'failed' WHEN i % 97 = 0 THEN 'skipped' ELSE 'succeeded' END,
            'scheduled', 'scheduler', '', '{{}}', '[]',
            now() - (i * interval '1 hour') - (j.id * interval '1 second'),
            now() - (i * interval '1 hour') - (j.id * interval '1 second'),
            now() - (i * interval '1 hour') - (j.id * interval '1 second') + interval '30 seconds',
            5 + (i % 50), 'runs@bench', 1, '', '', '', 3, 2, 1, '{{}}'
        FROM jobs_job j, generate_series(1, {executions // jobs}) AS i;
        ANALYZE;
    """,
        url,
    )
    user = get_user_model().objects.create_superuser("bench", "", "bench-password")
    return tokens.create(user, name="bench", now=timezone.now())[1]


def start_server(port: int, url: str = BENCH_URL) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "CM_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "compliance_monitor.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz/live", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def summary(latencies: list[float], seconds: float) -> dict[str, float]:
    from compliance_monitor.jobs.stats import percentile

    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "per_second": round(len(ordered) / seconds, 1),
        **{f"p{int(q * 100)}_ms": round((percentile(ordered, q) or 0) * 1000, 1) for q in (0.5, 0.9, 0.99)},
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def bearer(key: str) -> str:
    return f"Authorization: Bearer {key}"


async def fetch(port: int, path: str, headers: str) -> int:
    """One GET over a fresh connection: a few microseconds of client CPU (httpx costs ~1 ms, on the same cores)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return int(answer[9:12])


async def load(port: int, headers: str, paths: list[str], *, clients: int, seconds: float, rate: float | None) -> Any:
    """`clients` concurrent clients; each sends `rate` requests/s, paced after each answer (a closed loop: coordinated
    omission under saturation), or back-to-back (None)."""
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds

    async def one_client() -> None:
        nonlocal errors
        await asyncio.sleep(random.random() / (rate or 10))  # spread the starts
        while time.monotonic() < stop:
            started = time.monotonic()
            status = await fetch(port, random.choice(paths), headers)
            latencies.append(time.monotonic() - started)
            errors += status != 200
            if rate:
                await asyncio.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))

    began = time.monotonic()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return {**summary(latencies, time.monotonic() - began), "errors": errors}


def database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def arguments(database: str = "cm_api_bench") -> argparse.Namespace:
    """The database (rebuilt), its size and how long each measurement runs (shared by the API benchmarks)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--executions", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--database", default=database, help="PostgreSQL database to drop and rebuild")
    args = parser.parse_args()
    args.url = database_url(args.database)
    return args


def main() -> None:
    args = arguments()
    started = time.monotonic()
    auth = bearer(build_database(args.jobs, args.executions, args.url))
    built = round(time.monotonic() - started, 1)
    port = 8765
    server = start_server(port, args.url)
    history = [f"/api/v1/jobs/job-{n}/executions?limit=50" for n in range(1, args.jobs + 1)]
    statistics = [f"/api/v1/jobs/job-{n}/statistics?days=30" for n in range(1, args.jobs + 1)]
    try:
        result = {
            "executions": args.executions,
            "jobs": args.jobs,
            "database_built_seconds": built,
            "history_100_clients_1_rps_each": asyncio.run(
                load(port, auth, history, clients=100, seconds=args.seconds, rate=1)
            ),
            "history_100_clients_2_rps_each": asyncio.run(
                load(port, auth, history, clients=100, seconds=args.seconds, rate=2)
            ),
            "history_100_clients_back_to_back": asyncio.run(
                load(port, auth, history, clients=100, seconds=args.seconds, rate=None)
            ),
            "health_one_client": asyncio.run(
                load(port, auth, ["/api/v1/health"], clients=1, seconds=args.seconds / 2, rate=None)
            ),
            "health_10_clients_back_to_back": asyncio.run(
                load(port, auth, ["/api/v1/health"], clients=10, seconds=args.seconds / 2, rate=None)
            ),
            "statistics_30_days_sequential": asyncio.run(
                load(port, auth, statistics, clients=1, seconds=args.seconds / 2, rate=None)
            ),
        }
    finally:
        server.terminate()
        server.wait()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
