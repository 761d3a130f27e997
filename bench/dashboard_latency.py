"""Dashboard latency on PostgreSQL with 1,000,000 executions of 1,000 jobs and 2,000 alerts (issue 6).

    .venv/bin/python bench/dashboard_latency.py [--executions 1000000] [--jobs 1000]

Builds the API benchmark's database (`bench/api_latency.py`), adds alerts, starts gunicorn, signs in through the
login form and measures, with that browser session over loopback:
* each page once a second from one client: overview (page 1: 50 of the 1,000 jobs), a random job's page (history,
  30-day statistics and chart), a random run, the alerts inbox;
* the overview's live poll (the fragment htmx asks for every 3 s) from 30 open dashboards at once.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_latency import arguments, build_database, load, psql, start_server

ALERTS = 2000


def add_alerts(count: int, url: str) -> None:
    """Open, acknowledged and resolved alerts over 20 warehouses, a fifth of them critical."""
    psql(
        f"""
        INSERT INTO alerts_alert (type, severity, fingerprint, title, message, check_name, warehouse,
            violation_count, violation_details, legacy_text, raised_at, last_seen_at, occurrences, state,
            acknowledged_by, resolved_by, resolution_notes, channels_notified, escalation_count, job_id)
        SELECT 'compliance_violation', 1 + n % 4, 'bench:' || n, n || ' misplaced products', '',
            'warehouse.product_types', 'W' || (n % 20), 1 + n % 15, '[]', '', now() - n * interval '1 minute',
            now(), 1, (ARRAY['open', 'acknowledged', 'resolved'])[1 + n % 3], '', '', '', '[]', 0, 1 + n % 1000
        FROM generate_series(1, {count}) AS n;
        ANALYZE alerts_alert;
    """,
        url,
    )


def session_cookie(port: int) -> str:
    """Sign in through the login form like a browser; return the Cookie header of the session."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        form = client.get("/login/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        assert token, "no CSRF token on the login page"
        answer = client.post(
            "/login/", data={"username": "bench", "password": "bench-password", "csrfmiddlewaretoken": token[1]}
        )
        assert answer.status_code == 302, answer.text[:300]
        return "Cookie: " + "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def run_ids(count: int) -> list[str]:
    from compliance_monitor.jobs.models import Execution

    return [str(pk) for pk in Execution.objects.order_by("?").values_list("pk", flat=True)[:count]]


def main() -> None:
    args = arguments()
    build_database(args.jobs, args.executions, args.url)
    add_alerts(ALERTS, args.url)
    runs = [f"/runs/{pk}/" for pk in run_ids(200)]
    port = 8766
    server = start_server(port, args.url)
    try:
        cookie = session_cookie(port)
        poll = cookie + "\r\nHX-Request: true"
        jobs = [f"/jobs/job-{n}/" for n in range(1, args.jobs + 1)]

        def once_a_second(paths: list[str], headers: str = cookie) -> object:
            return asyncio.run(load(port, headers, paths, clients=1, seconds=args.seconds, rate=1))

        result = {
            "database": args.url,
            "executions": args.executions,
            "jobs": args.jobs,
            "alerts": ALERTS,
            "overview_page": once_a_second(["/"]),
            "job_page": once_a_second(jobs),
            "run_page": once_a_second(runs),
            "alerts_inbox": once_a_second(["/alerts/"]),
            "overview_live_poll_30_dashboards_every_3_s": asyncio.run(
                load(port, poll, ["/"], clients=30, seconds=args.seconds, rate=1 / 3)
            ),
        }
    finally:
        server.terminate()
        server.wait()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"# took {time.monotonic() - started:.0f} s", file=sys.stderr)
