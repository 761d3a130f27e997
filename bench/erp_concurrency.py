"""Concurrent warehouse reads (issue 11, item 5): wall time of a full read at 1, 2, 4 and 8 requests at once.

    .venv/bin/python bench/erp_concurrency.py          # 100 warehouses x 2,500 stock rows, pages of 1000, 150 ms

The local Flexi-format server runs in its own process (as a real ERP would) and answers every page after a fixed
latency; it renders each page once (``--cache-answers``, warmed by an untimed read), so what is measured is this
side: a real ERP's CPU is its own, and the fake server's rendering (~28 ms a page) would otherwise be counted.
The read is the check's own path — ``warehouse.product_types`` (the original reports' definition, as its migration
installs it) run on a connection whose ``max_concurrent_requests``
is the concurrency, its request slots claimed in a fresh SQLite database — so it pays for the slots, the threads,
parsing, the completeness proofs and judging every row. Per concurrency c:

* ideal(c) = max(pages x latency / c, fetch+parse), where fetch+parse is the measured time to fetch and JSON-parse
  the same pages, one after another, from a second server without latency (the floor no read gets under);
* target: wall(4) <= 1.25 x ideal(4).

Every concurrency must find exactly what concurrency 1 found. Prints a table to stderr, JSON to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TARGET_RATIO = 1.25


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(warehouses: int, products: int, latency: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = ["--port", str(port), "--warehouses", str(warehouses), "--products", str(products)]
    server = subprocess.Popen(
        [sys.executable, "-m", "compliance_monitor.erp.server", *args, "--latency", str(latency), "--cache-answers"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    assert server.stdout is not None
    server.stdout.readline()  # "Flexi-format server on …": it is listening
    return server, f"http://127.0.0.1:{port}"


def configure() -> None:
    os.environ.update(
        {
            "CM_DATA_DIR": tempfile.mkdtemp(prefix="cm-bench-concurrency-"),
            "DJANGO_SETTINGS_MODULE": "compliance_monitor.settings",
        }
    )
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CM_ERP_URL"):
        os.environ.pop(name, None)
    import logging

    import django

    django.setup()
    logging.getLogger().setLevel(logging.WARNING)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from compliance_monitor.celery import freeze_startup_heap

    freeze_startup_heap()  # as a worker does when it is ready (compliance_monitor/celery.py)


def connect(url: str, page_size: int, company: Any) -> Any:
    """A connection to the slow server, one rule per warehouse (its home goods group allowed)."""
    from django.utils import timezone

    from compliance_monitor.checks.models import WarehouseRule
    from compliance_monitor.erp.models import Connection

    erp = Connection(name="bench", base_url=url, company="big", username="api", page_size=page_size)
    erp.updated_at = timezone.now()
    erp.password = "secret"
    erp.save()
    for w in company.warehouses:
        WarehouseRule.objects.create(connection=erp, warehouse_code=w.code, warehouse_id=w.id, allowed=[w.home_group])
    return erp


def fetch_and_parse(url: str, warehouses: list[Any], page_size: int) -> tuple[float, int]:
    """Every page of every warehouse, one request after another: HTTP + JSON + the completeness proofs."""
    from compliance_monitor.erp import flexi
    from compliance_monitor.erp.client import ErpConfig, FlexiClient

    def params(warehouse: Any) -> dict[str, str]:  # as FlexiClient.stock asks (the same answers, from the cache)
        return {
            "sklad": str(warehouse.id),
            "datum": DAY.isoformat(),
            "detail": flexi.STOCK_DETAIL,
            "includes": flexi.STOCK_INCLUDES,
        }

    with FlexiClient(ErpConfig(url, "big", "api", "secret", page_size=page_size)) as client:
        started = time.perf_counter()
        rows = sum(1 for w in warehouses for _ in client.pages(flexi.EVIDENCE_STOCK, params(w)))
        return time.perf_counter() - started, rows


def full_read(erp: Any, concurrency: int) -> tuple[float, list[Any]]:
    from compliance_monitor.checks import registry
    from compliance_monitor.checks.base import CheckContext
    from compliance_monitor.checks.warehouse import CHECK_NAME

    erp.max_concurrent_requests = concurrency
    erp.save(update_fields=["max_concurrent_requests"])
    context = CheckContext(uuid.uuid4(), "bench", NOW, {"date": DAY.isoformat()}, connection=erp)
    started = time.perf_counter()
    outcomes = registry.get(CHECK_NAME).run(context)
    return time.perf_counter() - started, outcomes


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem = int(
        next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    )
    system = f"Linux {platform.release()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} vCPU {model}, {mem / 2**20:.0f} GiB RAM, {system}"


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return head.strip() + (" + working tree" if dirty.strip() else "")


def run(warehouses: int, products: int, page_size: int, latency: float, levels: list[int]) -> dict[str, Any]:
    configure()
    slow, slow_url = start_server(warehouses, products, latency)
    fast, fast_url = start_server(warehouses, products, 0.0)
    try:
        from compliance_monitor.erp.synthetic import Company

        company = Company.large(warehouses, products)
        erp = connect(slow_url, page_size, company)
        pages = warehouses * -(-products // page_size)
        # Warm-up, untimed: imports, connections, and every answer of both servers rendered into their caches.
        fetch_and_parse(fast_url, company.warehouses, page_size)
        full_read(erp, max(levels))
        floor, rows = fetch_and_parse(fast_url, company.warehouses, page_size)
        results, reference = [], None
        load = [os.getloadavg()[0]]
        for concurrency in levels:
            wall, outcomes = full_read(erp, concurrency)
            load.append(os.getloadavg()[0])
            reference = reference if reference is not None else outcomes
            assert outcomes == reference, f"concurrency {concurrency} found something else than concurrency 1"
            assert all(o.rows_read == products for o in outcomes)
            ideal = max(pages * latency / concurrency, floor)
            results.append(
                {
                    "concurrency": concurrency,
                    "wall_seconds": round(wall, 2),
                    "latency_bound_seconds": round(pages * latency / concurrency, 2),
                    "fetch_parse_bound_seconds": round(floor, 2),
                    "ideal_seconds": round(ideal, 2),
                    "ratio_to_ideal": round(wall / ideal, 3),
                    "speed_up_over_1": None,
                }
            )
        for line in results:
            line["speed_up_over_1"] = round(results[0]["wall_seconds"] / line["wall_seconds"], 2)
    finally:
        for server in (slow, fast):
            server.terminate()
            server.wait()
    at_4 = next((line for line in results if line["concurrency"] == 4), None)
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "commit": commit(),
        "machine": machine(),
        "load_average_1m_during": [round(value, 2) for value in load],
        "warehouses": warehouses,
        "rows_per_warehouse": products,
        "rows": rows,
        "page_size": page_size,
        "pages": pages,
        "latency_seconds": latency,
        "fetch_and_parse_seconds": round(floor, 2),
        "violations": sum(len(o.violations) for o in reference or []),
        "levels": results,
        "target": f"wall(4) <= {TARGET_RATIO} x ideal(4)",
        "target_met": None if at_4 is None else at_4["ratio_to_ideal"] <= TARGET_RATIO,
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        "| concurrency | wall | pages x latency / c | fetch+parse | ideal | wall / ideal | speed-up over 1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["levels"]:
        lines.append(
            f"| {r['concurrency']} | {r['wall_seconds']:.2f} s | {r['latency_bound_seconds']:.2f} s | "
            f"{r['fetch_parse_bound_seconds']:.2f} s | {r['ideal_seconds']:.2f} s | {r['ratio_to_ideal']:.3f} | "
            f"{r['speed_up_over_1']:.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouses", type=int, default=100)
    parser.add_argument("--products", type=int, default=2500)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--levels", default="1,2,4,8")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    result = run(args.warehouses, args.products, args.page_size, args.latency, levels)
    print(table(result), file=sys.stderr)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
