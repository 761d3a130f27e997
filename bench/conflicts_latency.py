"""Schedule conflicts at 1,000 jobs on PostgreSQL: reads that show them, and the save that recomputes them (issue 10).

    .venv/bin/python bench/conflicts_latency.py [--jobs 1000] [--executions 1000000] [--database cm_bench_conflicts]

Builds the API benchmark's database (`bench/api_latency.py`: hourly jobs at minute n % 60 on every warehouse, so
1,000 jobs make 7,840 conflicting pairs, ~16 per job; next and last run times set as on a running installation),
starts gunicorn (4 sync workers) and measures over loopback, one client, each request waiting for the previous
answer (after 2 s of uncounted warm-up requests):
* the first `GET /api/v1/jobs` after the jobs were written in SQL (no stored conflicts yet: it computes them);
* `GET /api/v1/jobs` (every job with its conflicts) and `GET /api/v1/jobs/{name}` for random jobs (bearer token);
* the overview page and a random job's conflict warnings (`/jobs/{name}/conflicts`, what the job page loads) with a
  browser session;
* `PATCH /api/v1/jobs/{name}` changing a cron (the save recomputes every job's conflicts), 5 times, each followed by
  one `GET /api/v1/jobs` that must show the new conflict (checked, not only timed).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_latency import arguments, bearer, build_database, load, psql, start_server, summary
from dashboard_latency import session_cookie

PORT = 8767
SAVES = 5
WARM_UP_SECONDS = 2  # every gunicorn worker's first answers (template compilation, connection) are not counted


def timed_get(client: httpx.Client, path: str) -> tuple[float, Any]:
    started = time.monotonic()
    answer = client.get(path)
    answer.raise_for_status()
    return time.monotonic() - started, answer.json()


def saves(client: httpx.Client) -> dict[str, Any]:
    """Move job-1 to each of SAVES minutes in turn; the next list must name its new partner at once."""
    seconds, lists, stale = [], [], 0
    for minute in range(1, SAVES + 1):
        started = time.monotonic()
        client.patch("/api/v1/jobs/job-1", json={"cron": f"{minute} * * * *"}).raise_for_status()
        seconds.append(time.monotonic() - started)
        took, answer = timed_get(client, "/api/v1/jobs")
        lists.append(round(took * 1000, 1))
        listed = {job["name"]: job["schedule_conflicts"] for job in answer}
        partner = f"job-{minute if minute > 1 else 61}"  # job-n runs at minute n % 60
        stale += not any(m.startswith(f"job-1 and {partner} ") for m in listed[partner])
    return {**summary(seconds, sum(seconds)), "next_list_ms": lists, "stale_lists_after_save": stale}


def measure(args: Any, key: str) -> dict[str, Any]:
    auth, cookie = bearer(key), session_cookie(PORT)
    names = [f"job-{n}" for n in range(1, args.jobs + 1)]

    def sequential(paths: list[str], headers: str) -> Any:
        asyncio.run(load(PORT, headers, paths, clients=1, seconds=WARM_UP_SECONDS, rate=None))  # not counted
        return asyncio.run(load(PORT, headers, paths, clients=1, seconds=args.seconds, rate=None))

    with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", headers={"Authorization": f"Bearer {key}"}) as client:
        first, listed = timed_get(client, "/api/v1/jobs")
        result: dict[str, Any] = {
            "first_list_after_sql_seed_ms": round(first * 1000, 1),
            "conflict_messages": sum(len(job["schedule_conflicts"]) for job in listed),
            "jobs_list": sequential(["/api/v1/jobs"], auth),
            "job_one": sequential([f"/api/v1/jobs/{name}" for name in names], auth),
            "overview_page": sequential(["/"], cookie),
            "job_conflicts_fragment": sequential([f"/jobs/{name}/conflicts" for name in names], cookie),
        }
        result["save_changing_a_cron"] = saves(client)
    return result


def as_if_running(url: str) -> None:
    """The seed leaves next/last run empty; a running installation has them (and the list prints them)."""
    psql(
        """
        UPDATE jobs_job SET next_run_at = date_trunc('hour', now()) + (60 + id % 60) * interval '1 minute',
            last_run_at = date_trunc('hour', now()) + (id % 60 - 60) * interval '1 minute',
            last_success_at = date_trunc('hour', now()) + (id % 60 - 60) * interval '1 minute';
        """,
        url,
    )


def main() -> None:
    args = arguments(database="cm_bench_conflicts")
    key = build_database(args.jobs, args.executions, args.url)
    as_if_running(args.url)
    server = start_server(PORT, args.url)
    try:
        result = {"database": args.url, "jobs": args.jobs, "executions": args.executions, **measure(args, key)}
    finally:
        server.terminate()
        server.wait()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
