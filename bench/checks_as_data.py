"""A user-defined check (a definition: filter, scopes, predicate, message) over HTTP vs. merely fetching and parsing
the same pages — issue 12's target: ≤ 1.5 × fetch+parse over 1,000,000 rows.

    .venv/bin/python bench/checks_as_data.py --warehouses 100 --products 10000   # 1,000,000 current-period cards

The local Flexi-format server runs in its own process with ``--cache-answers`` (each distinct page rendered once, a
first untimed pass warms it), serving ``skladova-karta`` of a synthetic company: 2 periods × warehouses × products
cards, of which the definition's filter (``ucetObdobi = ${period}`` and one warehouse per scope) selects the current
period's. Two kinds of pass over every warehouse, same client, same page size (1000), same requests:

* fetch+parse: HTTP + JSON decoding of every page, the rows of each counted (what any evaluation pays);
* evaluate: the definition's whole path — the compiled predicate over each page (``checks/columns.py``, row by row
  where a page holds an unusual value), violations and their messages built (``ScopeRead.evaluate_pages``, what
  ``defined.read_scope`` — a job's run — does for each scope, while the read-ahead thread fetches and parses the
  next page).

Both passes run after ``freeze_startup_heap`` (what a worker process does once started).

Passes alternate (fetch+parse, evaluate, fetch+parse, …); ``--repeat`` pairs. Reports each kind's best pass (wall
time, rows/s, client CPU), the violations found, and the ratio evaluate / fetch+parse: ``ratio`` is the median of
the pairs' ratios (each evaluate pass against the fetch+parse pass just before it: both met the same machine —
on a shared 2-vCPU VM the same pass varies by half from one minute to the next), ``ratio_of_bests`` the best
evaluate pass against the best fetch+parse pass, which may come from different minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.facts import run_facts  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance_monitor.settings")
DEFINITION = {
    "name": "bench.below_minimum",
    "title": "Stock below its minimum",
    "evidence": "skladova-karta",
    "filter": "ucetObdobi = ${period}",
    "scope": {"field": "sklad", "values": "all"},
    "predicate": "minMJ > 0 && stavMJ < minMJ",
    "identity": ["cenik.kod"],
    "label": "cenik.nazev",
    "quantity": "stavMJ",
    "message": "{cenik.kod} ({stavMJ} < {minMJ})",
}


def timed(work: Callable[[], int]) -> dict[str, float]:
    """Wall time, rows/s and the client's CPU time (both its threads; the server is another process)."""
    started, cpu = time.perf_counter(), time.process_time()
    rows = work()
    seconds = time.perf_counter() - started
    used = time.process_time() - cpu
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds), "cpu": round(used, 2)}


def run(warehouses: int, products: int, repeat: int) -> dict[str, object]:
    import django

    django.setup()
    from datetime import date

    from bench.erp_evaluation import free_port
    from compliance_monitor.celery import freeze_startup_heap
    from compliance_monitor.checks.defined import DefinedCheck, ScopePlan
    from compliance_monitor.checks.definition import parse
    from compliance_monitor.erp import properties
    from compliance_monitor.erp.client import ErpConfig, FlexiClient
    from compliance_monitor.erp.synthetic import Company

    port = free_port()
    command = [sys.executable, "-m", "compliance_monitor.erp.server", "--port", str(port), "--cache-answers"]
    command += ["--warehouses", str(warehouses), "--products", str(products)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE)
    server.stdout.readline()  # type: ignore[union-attr] — "Flexi-format server on …": it is listening
    fields = properties.parse(properties.local_answer("skladova-karta"), "skladova-karta")
    definition = parse(DEFINITION, lambda evidence: fields)
    check = DefinedCheck(definition, 1)
    values = {"today": date.today(), "period": f"code:{date.today().year}"}
    company = Company.large(warehouses, products)
    scopes = [check.scope_read(ScopePlan(w.code, w.code), fields, values) for w in company.warehouses]
    found = 0

    def client() -> FlexiClient:
        return FlexiClient(ErpConfig(f"http://127.0.0.1:{port}", "big", "api", "secret"))

    def fetch_and_parse() -> int:
        with client() as erp:
            return sum(len(page) for scope in scopes for page in erp.row_pages(scope.request))

    def evaluate() -> int:
        nonlocal found
        with client() as erp:
            outcomes = [scope.evaluate_pages(erp.row_pages(scope.request)) for scope in scopes]
        assert not any(outcome.error for outcome in outcomes), [o.error for o in outcomes if o.error][:1]
        found = sum(len(outcome.violations) for outcome in outcomes)
        return sum(outcome.rows_read or 0 for outcome in outcomes)

    freeze_startup_heap()  # as a worker process does once started (compliance_monitor/celery.py)
    try:
        fetch_and_parse()  # warm-up: the server renders and caches every page once
        passes = [(timed(fetch_and_parse), timed(evaluate)) for _ in range(repeat)]
    finally:
        server.terminate()
        server.wait()
    baseline = min((p[0] for p in passes), key=lambda r: r["seconds"])
    full = min((p[1] for p in passes), key=lambda r: r["seconds"])
    pairs = sorted(round(p[1]["seconds"] / p[0]["seconds"], 3) for p in passes)
    return {
        **run_facts(),
        "command": " ".join([".venv/bin/python", "bench/checks_as_data.py", *sys.argv[1:]]),
        "warehouses": warehouses,
        "products": products,
        "predicate": DEFINITION["predicate"],
        "fetch_and_parse": baseline,
        "evaluate": full,
        "ratio": round(statistics.median(pairs), 3),
        "pair_ratios": pairs,
        "ratio_of_bests": round(full["seconds"] / baseline["seconds"], 3),
        "violations": found,
        "best_of": repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouses", type=int, default=100)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=8, help="pairs of passes (fetch+parse, evaluate)")
    args = parser.parse_args()
    print(json.dumps(run(args.warehouses, args.products, args.repeat), indent=2))


if __name__ == "__main__":
    main()
