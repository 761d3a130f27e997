"""Issue 10, items 5 and 8: CSV evidence that no spreadsheet runs as a formula, and reads bounded by design."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance_monitor.alerts import services as alert_services
from compliance_monitor.alerts.models import Alert, AlertType, Severity, State
from compliance_monitor.api import probes
from compliance_monitor.api.schemas import VIOLATIONS_PER_RESULT
from compliance_monitor.checks.base import CheckOutcome, Violation
from compliance_monitor.checks.models import CheckResult, ResultStatus
from compliance_monitor.checks.models import Violation as StoredViolation
from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Beacon, Execution, Job, Status

BIG = 50_000  # violations of the big run, over two results


@pytest.fixture
def big_run(job: Job) -> Execution:
    """A succeeded run with 50,000 violations: 25,000 in each of two warehouses."""
    now = timezone.now()
    execution = Execution.objects.create(
        job=job, trigger="manual", queued_at=now, status=Status.SUCCEEDED, finished_at=now, total_reports=2
    )
    for warehouse in ("MATERIAL", "ZBOZI"):
        result = CheckResult.objects.create(
            execution=execution,
            check_name="warehouse.product_types",
            warehouse=warehouse,
            status=ResultStatus.VIOLATED,
            violation_count=BIG // 2,
            fixed=[{"product_code": f"F{i:05d}"} for i in range(BIG // 2)],
        )
        StoredViolation.objects.bulk_create(
            (
                StoredViolation(result=result, warehouse=warehouse, product_code=f"P{i:05d}", quantity=i, change="new")
                for i in range(BIG // 2)
            ),
            batch_size=5000,
        )
    return execution


def evidence_csv_rows(api, execution: Execution) -> list[dict[str, str]]:
    response = api.call("GET", f"/executions/{execution.pk}/evidence?format=csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def finished_with(job: Job, *violations: Violation) -> Execution:
    now = timezone.now()
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=now)
    lifecycle.claim(execution.pk, worker="w", now=now)
    outcome = CheckOutcome("warehouse.product_types", "MATERIAL", violations, report_name="Report")
    lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, (outcome,)), now=now)
    return execution


def test_item_5_csv_evidence_neutralises_formula_cells_and_keeps_numbers_as_numbers(as_role, job) -> None:
    hostile = ['=HYPERLINK("http://evil")', "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR"]
    execution = finished_with(
        job,
        *(Violation("MATERIAL", f"P{i}", name, goods_group=name, quantity=1) for i, name in enumerate(hostile)),
        Violation("MATERIAL", "=CODE", "Bolt", quantity=-5.0, unit="ks"),
    )

    rows = {row["product_code"]: row for row in evidence_csv_rows(as_role("viewer"), execution)}

    assert [rows[f"P{i}"]["product_name"] for i in range(len(hostile))] == [f"'{name}" for name in hostile]
    assert [rows[f"P{i}"]["goods_group"] for i in range(len(hostile))] == [f"'{name}" for name in hostile]
    bolt = rows["'=CODE"]
    assert (bolt["product_name"], bolt["unit"], bolt["quantity"]) == ("Bolt", "ks", "-5.0"), "a number stays a number"


def test_item_8_execution_detail_lists_the_first_violations_per_result_in_a_few_queries(as_role, big_run) -> None:
    viewer = as_role("viewer")

    with CaptureQueriesContext(connection) as queries:
        body = viewer.call("GET", f"/executions/{big_run.pk}").json()

    assert len(queries) <= 8, [q["sql"][:120] for q in queries]  # token, user, roles, run, results, violations
    assert [r["violation_count"] for r in body["check_results"]] == [BIG // 2, BIG // 2]
    for result in body["check_results"]:
        assert len(result["violations"]) == VIOLATIONS_PER_RESULT
        assert result["violations"][0]["product_code"] == "P00000"
        assert len(result["fixed"]) == VIOLATIONS_PER_RESULT and result["fixed_count"] == BIG // 2
        assert result["violations_url"] == f"/api/v1/executions/{big_run.pk}/results/{result['id']}/violations"


def test_item_8_the_rest_of_a_results_violations_pages_through_its_link(as_role, big_run) -> None:
    viewer = as_role("viewer")
    result = viewer.call("GET", f"/executions/{big_run.pk}").json()["check_results"][1]

    page = viewer.call("GET", result["violations_url"].removeprefix("/api/v1") + "?page=3&page_size=1000").json()

    assert (page["count"], page["page"], len(page["items"])) == (BIG // 2, 3, 1000)
    assert page["items"][0]["product_code"] == "P02000"
    assert page["next"] == f"{result['violations_url']}?page=4&page_size=1000"
    last = viewer.call("GET", f"/executions/{big_run.pk}/results/{result['id']}/violations?page=25&page_size=1000")
    assert last.json()["next"] is None and last.json()["items"][-1]["product_code"] == "P24999"
    other = Execution.objects.create(job=big_run.job, trigger="manual", queued_at=timezone.now())
    assert viewer.call("GET", f"/executions/{other.pk}/results/{result['id']}/violations").status_code == 404


def test_item_8_json_evidence_streams_valid_json_of_every_violation(as_role, big_run) -> None:
    response = as_role("viewer").call("GET", f"/executions/{big_run.pk}/evidence?format=json")

    assert isinstance(response, StreamingHttpResponse) and response["Content-Type"] == "application/json"
    body = json.loads(b"".join(response.streaming_content))
    assert len(body["violations"]) == BIG
    assert body["violations"][0] == {
        "execution_id": str(big_run.pk),
        "job": "compliance",
        "check": "warehouse.product_types",
        "report_name": "",
        "warehouse": "MATERIAL",
        "result": "violated",
        "product_code": "P00000",
        "product_name": "",
        "goods_group": "",
        "quantity": 0.0,
        "unit": "",
        "change": "new",
    }


def test_item_8_json_evidence_of_a_run_without_violations_is_valid_json(as_role, job) -> None:
    execution = finished_with(job)
    response = as_role("viewer").call("GET", f"/executions/{execution.pk}/evidence?format=json")
    assert json.loads(b"".join(response.streaming_content)) == {"violations": []}


def make_alert(n: int, raised: datetime, **fields) -> Alert:
    return Alert.objects.create(
        type=AlertType.COMPLIANCE_VIOLATION,
        severity=Severity.HIGH,
        fingerprint=f"f{n}",
        title="t",
        warehouse=f"W{n % 3}",
        raised_at=raised,
        last_seen_at=raised,
        **fields,
    )


def test_item_8_alert_statistics_are_computed_by_aggregate_queries(db) -> None:
    t0 = datetime(2026, 6, 1, tzinfo=UTC)
    for n in range(300):
        raised = t0 + timedelta(minutes=n)
        done = {"state": State.RESOLVED, "resolved_at": raised + timedelta(seconds=60 * (n % 4 + 1))}
        acked = {"state": State.ACKNOWLEDGED, "acknowledged_at": raised + timedelta(seconds=30)}
        make_alert(n, raised, **(done if n % 2 else acked))

    with CaptureQueriesContext(connection) as queries:
        stats = alert_services.statistics(start=t0, end=t0 + timedelta(days=1))

    statements = [q["sql"] for q in queries]
    assert len(statements) <= 4, statements
    assert all("COUNT(" in sql or "AVG(" in sql for sql in statements), "no alert row may be loaded into Python"
    assert (stats.total, stats.active, stats.acknowledged, stats.resolved) == (300, 150, 150, 150)
    assert stats.by_warehouse == {"W0": 100, "W1": 100, "W2": 100} and stats.by_severity == {"high": 300}
    assert stats.by_type == {"compliance_violation": 300, "job_failure": 0, "system_error": 0, "performance_issue": 0}
    assert stats.mean_time_to_acknowledge_seconds == 30.0
    assert stats.mean_time_to_resolve_seconds == 180.0  # the odd alerts: 2 and 4 minutes, alternately


class Broker:
    """Counts broker connections the readiness probe opens."""

    def __init__(self) -> None:
        self.opened = 0

    def __call__(self, *args, **kwargs) -> Broker:
        self.opened += 1
        return self

    def __enter__(self) -> Broker:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def ensure_connection(self, **kwargs) -> None:
        return None


def test_item_8_readiness_probed_100_times_opens_the_broker_once_per_cache_window(db, monkeypatch) -> None:
    clock = [1000.0]
    broker = Broker()
    monkeypatch.setattr(probes, "Connection", broker)
    monkeypatch.setattr(probes, "DEPENDENCIES", probes.TimedCache(seconds=5, clock=lambda: clock[0]))
    Beacon.objects.create(name="sweep", seen_at=timezone.now())
    Beacon.objects.create(name="runs", seen_at=timezone.now())
    client = Client()

    answers = [client.get("/healthz/ready").status_code for _ in range(100)]

    assert answers == [200] * 100 and broker.opened == 1
    clock[0] += 4.9
    client.get("/healthz/ready")
    assert broker.opened == 1
    clock[0] += 0.1
    client.get("/healthz/ready")
    assert broker.opened == 2


def test_item_8_readiness_cache_computes_once_for_a_flood_of_concurrent_probes() -> None:
    cache = probes.TimedCache(seconds=5, clock=lambda: 0.0)
    release, computed = threading.Event(), []

    def slow_check() -> dict[str, bool]:
        computed.append(1)
        release.wait(5)
        return {"ok": True}

    threads = [threading.Thread(target=cache.get, args=(slow_check,)) for _ in range(20)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)

    assert computed == [1] and cache.get(slow_check) == {"ok": True}
