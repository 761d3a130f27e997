"""A worker's heap once started (``freeze_startup_heap``): start-up's objects frozen out of the collector's sight,
and full collections kept rare while a run holds many violations and parses page after page — each full one walks
every violation held (docs/benchmarks.md). Shown failing with ``FULL_COLLECTION_AFTER = 10`` (Python's default)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from compliance_monitor.celery import freeze_startup_heap
from compliance_monitor.checks.base import Violation


@pytest.fixture
def worker_heap() -> Iterator[None]:
    threshold = gc.get_threshold()
    freeze_startup_heap()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def full_collections() -> int:
    return gc.get_stats()[2]["collections"]


@pytest.mark.usefixtures("worker_heap")
def test_a_run_holding_many_violations_while_parsing_pages_meets_few_full_collections() -> None:
    assert gc.get_freeze_count() > 1000  # Django, the models, the tasks
    before, held = full_collections(), []
    for _ in range(300):  # 300 pages of 1,000 parsed rows (a relation each: tracked objects), one in ten offending
        page = [{"id": str(n), "cenik": [{"kod": f"P{n}"}], "stavMJ": "-1.0"} for n in range(1000)]
        held += [Violation("W1", row["cenik"][0]["kod"], quantity=-1.0) for row in page[::10]]
    assert len(held) == 30_000
    assert full_collections() - before <= 3
