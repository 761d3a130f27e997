from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from compliance_monitor.checks.base import CheckOutcome, Violation
from compliance_monitor.jobs import lifecycle
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Status

RANK = {"anonymous": 0, "viewer": 1, "operator": 2, "admin": 3}


@pytest.fixture
def finished(job) -> Execution:
    now = timezone.now()
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=now)
    lifecycle.claim(execution.pk, worker="w", now=now)
    outcome = CheckOutcome(
        "warehouse.product_types",
        "MATERIAL",
        (
            Violation("MATERIAL", "P1", "Bolt", "VYROBEK", 5, "ks"),
            Violation("MATERIAL", "P2", "Nut", "VYROBEK", 2.5, "ks"),
        ),
        report_name="Report",
    )
    lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, (outcome,)), now=now)
    return execution


@pytest.mark.parametrize("role", list(RANK))
def test_cancel_needs_the_operator_role(as_role, job, role) -> None:
    queued = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())
    response = as_role(role).call("POST", f"/executions/{queued.pk}/cancel")
    expected = {"anonymous": 401, "viewer": 403, "operator": 200, "admin": 200}[role]
    assert response.status_code == expected


def test_a_queued_run_is_cancelled_and_never_counts(as_role, job) -> None:
    queued = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())
    body = as_role("operator").call("POST", f"/executions/{queued.pk}/cancel").json()
    assert (body["status"], body["error_message"]) == ("cancelled", "cancelled by operator-user")
    job.refresh_from_db()
    assert (job.execution_count, job.consecutive_failures) == (0, 0)


def test_a_running_run_is_cancelled_its_lease_freed_and_its_late_result_discarded(as_role, job) -> None:
    now = timezone.now()
    running = Execution.objects.create(job=job, trigger="manual", queued_at=now)
    lifecycle.claim(running.pk, worker="w", now=now)

    assert as_role("operator").call("POST", f"/executions/{running.pk}/cancel").status_code == 200

    job.refresh_from_db()
    assert job.lease_owner is None
    assert not lifecycle.finish(running.pk, Result(Status.SUCCEEDED), now=now)  # the worker reports too late
    running.refresh_from_db()
    assert running.status == Status.CANCELLED


def test_cancelling_a_finished_run_is_a_conflict(as_role, finished) -> None:
    response = as_role("operator").call("POST", f"/executions/{finished.pk}/cancel")
    assert response.status_code == 409 and "already ended (succeeded)" in response.json()["detail"]


def test_evidence_downloads_as_csv_and_json(as_role, finished) -> None:
    viewer = as_role("viewer")
    response = viewer.call("GET", f"/executions/{finished.pk}/evidence?format=csv")
    assert response["Content-Disposition"].endswith(f'{finished.pk}.csv"')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["product_code"], r["quantity"], r["change"], r["report_name"]) for r in rows] == [
        ("P1", "5.0", "new", "Report"),
        ("P2", "2.5", "new", "Report"),
    ]
    as_json = viewer.call("GET", f"/executions/{finished.pk}/evidence?format=json").json()
    assert [v["product_name"] for v in as_json["violations"]] == ["Bolt", "Nut"]
    assert viewer.call("GET", f"/executions/{finished.pk}/evidence?format=xml").status_code == 422


@pytest.mark.parametrize("role", list(RANK))
@pytest.mark.parametrize("path", ["/executions/{id}", "/executions/{id}/evidence?format=json", "/notifications"])
def test_reads_need_a_viewer_or_at_least_a_login(as_role, finished, role, path) -> None:
    response = as_role(role).call("GET", path.format(id=finished.pk))
    assert response.status_code == (401 if role == "anonymous" else 200)


def test_a_revoked_or_expired_token_is_refused(job) -> None:
    from datetime import timedelta

    from django.contrib.auth import get_user_model

    from compliance_monitor.api import tokens
    from compliance_monitor.api.tests.conftest import Api

    user = get_user_model().objects.create_superuser("root", "", "pw")
    revoked, revoked_key = tokens.create(user, name="old", now=timezone.now())
    _, expired_key = tokens.create(user, name="temp", now=timezone.now(), expires_at=timezone.now() - timedelta(1))
    _, good_key = tokens.create(user, name="ok", now=timezone.now())
    tokens.revoke(revoked, by="root", now=timezone.now())

    assert Api(good_key).call("GET", "/jobs").status_code == 200
    assert Api(revoked_key).call("GET", "/jobs").status_code == 401
    assert Api(expired_key).call("GET", "/jobs").status_code == 401
