"""The benchmark definition of ``bench/checks_as_data.py`` judged in one thread, without HTTP: the cost per row of
``ScopeRead.evaluate``, of the predicate alone, and per violation built — over one warehouse's parsed rows.

    .venv/bin/python bench/checks_in_process.py --products 10000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compliance_monitor.settings")


def per_item(work: Callable[[], object], items: int, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        work()
    return round((time.perf_counter() - started) / repeat / items * 1e6, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import django

    django.setup()
    from bench.checks_as_data import DEFINITION
    from compliance_monitor.checks.defined import DefinedCheck, ScopePlan
    from compliance_monitor.checks.definition import parse
    from compliance_monitor.erp import properties, server
    from compliance_monitor.erp.client import ErpConfig, FlexiClient
    from compliance_monitor.erp.synthetic import Company

    fields = properties.parse(properties.local_answer("skladova-karta"), "skladova-karta")
    check = DefinedCheck(parse(DEFINITION, lambda evidence: fields), 1)
    company = Company.large(1, args.products)
    store = company.warehouses[0]
    values = {"today": date.today(), "period": f"code:{date.today().year}"}
    scope = check.scope_read(ScopePlan(store.code, store.code), fields, values)
    erp = server.FlexiServer(server.FlexiState(company, username="api", password="secret")).start_in_thread()
    try:
        with FlexiClient(ErpConfig(erp.url, "big", "api", "secret")) as client:
            rows = list(client.rows(scope.request))
    finally:
        erp.shutdown()
    found = [row for row in rows if scope.test(row)]
    result = {
        "rows": len(rows),
        "violations": len(found),
        "evaluate_us_per_row": per_item(lambda: scope.evaluate(rows), len(rows), args.repeat),
        "predicate_us_per_row": per_item(lambda: [scope.test(row) for row in rows], len(rows), args.repeat),
        "violation_us_each": per_item(lambda: [scope.violation(row) for row in found], len(found), args.repeat),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
