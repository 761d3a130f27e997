"""Warehouse check throughput over HTTP: full evaluation vs. merely fetching and parsing the pages.

    .venv/bin/python bench/erp_evaluation.py --warehouses 100 --products 10000   # 1,000,000 rows

The local Flexi-format server runs in its own process (as a real ERP would), serving a synthetic
company. Two passes over every warehouse, same client, same page size (1000), the same requests:
* fetch+parse: HTTP + JSON decoding of every page (the floor any evaluation pays);
* evaluate: the check's full path — since issue 12 the original reports are the definition
  ``warehouse.product_types`` (as its migration installs it): each warehouse rule's scope compiled, every row judged
  by the predicate, violations and their legacy messages built (``ScopeRead.evaluate``, what a run does).
Reports wall time, rows/s, the ratio evaluate / fetch+parse, and peak Python heap (tracemalloc) of each
pass: it must not grow with the number of rows.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.facts import run_facts  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance_monitor.settings")
DAY = date(2026, 3, 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(work: Callable[[], int]) -> dict[str, float]:
    started = time.perf_counter()
    rows = work()
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds)}


def peak_heap_mib(work: Callable[[], int]) -> float:
    """Peak Python heap of a separate pass (tracemalloc slows code down, so never while timing)."""
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return round(peak / 2**20, 2)


def run(warehouses: int, products: int) -> dict[str, object]:
    import django

    django.setup()
    import importlib

    from compliance_monitor.checks.defined import DefinedCheck, rule_plan
    from compliance_monitor.checks.definition import parse
    from compliance_monitor.checks.models import ClassifyBy
    from compliance_monitor.checks.warehouse import Rule
    from compliance_monitor.erp import flexi, properties
    from compliance_monitor.erp.client import ErpConfig, FlexiClient
    from compliance_monitor.erp.synthetic import GROUPS, Company

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "compliance_monitor.erp.server",
            "--port",
            str(port),
            "--warehouses",
            str(warehouses),
            "--products",
            str(products),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    server.stdout.readline()  # "Flexi-format server on …": it is listening
    company = Company.large(warehouses, products)
    rules = [
        Rule(w.code, w.code, "", ClassifyBy.GOODS_GROUP, frozenset({str(w.home_group)})) for w in company.warehouses
    ]
    upgrade = importlib.import_module("compliance_monitor.checks.migrations.0007_original_reports_as_definition")
    fields = properties.parse(properties.local_answer(flexi.EVIDENCE_STOCK), flexi.EVIDENCE_STOCK)
    check = DefinedCheck(parse(upgrade.SPEC, None), 1)
    scopes = [check.scope_read(rule_plan(rule), fields, {"today": DAY}) for rule in rules]
    violations = 0

    def fetch_and_parse(subset: list = scopes) -> int:
        with FlexiClient(ErpConfig(f"http://127.0.0.1:{port}", "big", "api", "secret")) as client:
            return sum(len(page) for scope in subset for page in client.row_pages(scope.request))

    def evaluate(subset: list = scopes) -> int:
        nonlocal violations
        with FlexiClient(ErpConfig(f"http://127.0.0.1:{port}", "big", "api", "secret")) as client:
            outcomes = [scope.evaluate_pages(client.row_pages(scope.request)) for scope in subset]
        assert not any(o.error for o in outcomes), [o.error for o in outcomes if o.error][:1]
        violations = sum(len(o.violations) for o in outcomes)
        return sum(o.rows_read or 0 for o in outcomes)

    try:
        evaluate(scopes[:1])  # warm-up: connections, imports
        baseline, full = timed(fetch_and_parse), timed(evaluate)
        tenth = scopes[: max(1, warehouses // 10)]
        # Streaming shows in fetch+parse (nothing kept); evaluate also keeps every violation it found.
        baseline["peak_heap_mib"] = peak_heap_mib(fetch_and_parse)
        baseline["peak_heap_mib_one_tenth_of_the_rows"] = peak_heap_mib(lambda: fetch_and_parse(tenth))
        full["peak_heap_mib"] = peak_heap_mib(evaluate)
        full["peak_heap_mib_one_tenth_of_the_rows"] = peak_heap_mib(lambda: evaluate(tenth))
        evaluate()  # leave `violations` for the full set
    finally:
        server.terminate()
        server.wait()
    assert len(GROUPS) == 4
    return {
        **run_facts(),
        "command": " ".join([".venv/bin/python", "bench/erp_evaluation.py", *sys.argv[1:]]),
        "warehouses": warehouses,
        "products": products,
        "fetch_and_parse": baseline,
        "evaluate": full,
        "ratio": round(full["seconds"] / baseline["seconds"], 3),
        "violations": violations,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouses", type=int, default=100)
    parser.add_argument("--products", type=int, default=10_000)
    args = parser.parse_args()
    print(json.dumps(run(args.warehouses, args.products), indent=2))


if __name__ == "__main__":
    main()
