"""A worker's heap once started (``freeze_startup_heap``): start-up's objects frozen out of the collector's sight,
and full collections kept rare while a run holds many violations and parses page after page — each full one walks
every violation held (docs/benchmarks.md) — and young collections rare enough that a page is walked at most once.
Shown failing with ``FULL_COLLECTION_AFTER = 10`` and with ``YOUNG_COLLECTION_AFTER = 700`` (Python's defaults)."""

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


def young_collections() -> int:
    return gc.get_stats()[0]["collections"]


@pytest.mark.usefixtures("worker_heap")
def test_a_run_holding_many_violations_while_parsing_pages_meets_few_full_collections() -> None:
    assert gc.get_freeze_count() > 1000  # Django, the models, the tasks
    before, held = full_collections(), []
    for _ in range(300):  # 300 pages of 1,000 parsed rows (a relation each: tracked objects), one in ten offending
        page = [{"id": str(n), "cenik": [{"kod": f"P{n}"}], "stavMJ": "-1.0"} for n in range(1000)]
        held += [Violation("W1", row["cenik"][0]["kod"], quantity=-1.0) for row in page[::10]]
    assert len(held) == 30_000
    assert full_collections() - before <= 3


@pytest.mark.usefixtures("worker_heap")
def test_parsing_page_after_page_meets_at_most_a_young_collection_a_page() -> None:
    before = young_collections()
    for _ in range(100):  # 100 pages of 1,000 rows: 3,000 tracked objects each, alive while the page is judged
        page = [{"id": str(n), "cenik": [{"kod": f"P{n}"}], "stavMJ": "-1.0"} for n in range(1000)]
        assert len(page) == 1000
    assert young_collections() - before <= 30  # Python's default: about 430, four a page
