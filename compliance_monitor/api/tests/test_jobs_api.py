from __future__ import annotations

import pytest

from compliance_monitor.jobs.models import Execution, Job, Trigger

NEW_JOB = {"name": "nightly", "cron": "0 2 * * *", "checks": ["diagnostics.pass"]}

# (method, path, body, who may) — "viewer" means viewer, operator and admin; "operator": operator and admin.
ENDPOINTS = [
    ("GET", "/jobs", None, "viewer", 200),
    ("POST", "/jobs", NEW_JOB, "admin", 201),
    ("GET", "/jobs/compliance", None, "viewer", 200),
    ("PATCH", "/jobs/compliance", {"cron": "*/30 * * * *"}, "admin", 200),
    ("DELETE", "/jobs/compliance", None, "admin", 204),
    ("POST", "/jobs/compliance/enable", None, "admin", 200),
    ("POST", "/jobs/compliance/disable", {"reason": "stock-taking"}, "admin", 200),
    ("POST", "/jobs/compliance/trigger", {"reason": "audit"}, "operator", 202),
    ("POST", "/jobs/compliance/trigger", {"force": True}, "admin", 202),
    ("POST", "/jobs/compliance/trigger", {"parameters": {"date": "2026-03-02"}}, "admin", 202),  # item 4
    ("GET", "/jobs/compliance/executions", None, "viewer", 200),
    ("GET", "/jobs/compliance/statistics?days=7", None, "viewer", 200),
    ("GET", "/health", None, "viewer", 200),
]
RANK = {"anonymous": 0, "viewer": 1, "operator": 2, "admin": 3}


@pytest.mark.parametrize(("method", "path", "body", "needs", "ok"), ENDPOINTS)
@pytest.mark.parametrize("role", list(RANK))
def test_every_endpoint_answers_each_role_as_it_should(as_role, job, role, method, path, body, needs, ok) -> None:
    response = as_role(role).call(method, path, body)

    if role == "anonymous":
        assert response.status_code == 401
    elif RANK[role] < RANK[needs]:
        assert response.status_code == 403
        assert f"needs the {needs} role; you have {role} role" in response.json()["detail"]
    else:
        assert response.status_code == ok, response.content


def test_a_trigger_returns_the_execution_and_records_the_caller_not_the_body(as_role, job) -> None:
    response = as_role("operator").call(
        "POST",
        "/jobs/compliance/trigger",
        {
            "warehouses": ["MATERIAL"],
            "reason": "audit",
            "triggered_by": "someone-else",
        },
    )

    assert response.status_code == 202
    body = response.json()
    execution = Execution.objects.get(pk=body["execution_id"])
    assert (execution.triggered_by, execution.reason, execution.trigger) == ("operator-user", "audit", Trigger.MANUAL)
    assert body["url"] == f"/api/v1/executions/{execution.pk}"


def test_disable_records_who_and_why(as_role, job) -> None:
    as_role("admin").call("POST", "/jobs/compliance/disable", {"reason": "inventory"})
    job.refresh_from_db()
    assert (job.enabled, job.disabled_by, job.disabled_reason) == (False, "admin-user", "inventory")


def test_a_disabled_job_conflicts_with_an_unforced_trigger(as_role, job) -> None:
    admin = as_role("admin")
    admin.call("POST", "/jobs/compliance/disable", {"reason": "off"})
    response = admin.call("POST", "/jobs/compliance/trigger", {})
    assert response.status_code == 409 and "is disabled" in response.json()["detail"]


def test_a_job_reads_with_health_fields_and_next_run(as_role, job) -> None:
    body = as_role("viewer").call("GET", "/jobs/compliance").json()
    assert body["next_run_at"].endswith("Z") or body["next_run_at"].endswith("+00:00")
    assert body["is_healthy"] is True and body["failure_rate"] == 0.0 and body["schedule_conflicts"] == []


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/jobs", {**NEW_JOB, "cron": "61 * * * *"}, "cron"),
        ("POST", "/jobs", {**NEW_JOB, "checks": ["no.such"]}, "checks"),
        ("PATCH", "/jobs/compliance", {"timezone": "Mars/Base"}, "timezone"),
        ("POST", "/jobs/compliance/trigger", {"warehouses": ["ATLANTIS"]}, "warehouses"),
        ("GET", "/jobs/compliance/executions?limit=-1", None, "limit"),
        ("POST", "/jobs", {"name": "x"}, "cron"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(as_role, job, method, path, body, field) -> None:
    response = as_role("admin").call(method, path, body)
    assert response.status_code == 422, response.content
    assert any(field in error["loc"] for error in response.json()["detail"]), response.json()


def test_a_query_parameter_given_twice_is_refused_naming_it(as_role, job) -> None:
    response = as_role("viewer").call("GET", "/jobs/compliance/executions?limit=5&limit=7")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_malformed_json_is_a_client_error(as_role, job) -> None:
    admin = as_role("admin")
    response = admin.client.post("/api/v1/jobs", data="{nope", content_type="application/json", **admin.headers)
    assert 400 <= response.status_code < 500 and "detail" in response.json()


def test_unknown_jobs_and_executions_are_404(as_role, job) -> None:
    viewer = as_role("viewer")
    assert viewer.call("GET", "/jobs/ghost").status_code == 404
    assert viewer.call("GET", "/executions/00000000-0000-0000-0000-000000000000").status_code == 404
    assert viewer.call("GET", "/executions/not-a-uuid").status_code == 422


def test_creating_a_job_twice_is_a_conflict(as_role, job) -> None:
    admin = as_role("admin")
    assert admin.call("POST", "/jobs", NEW_JOB).status_code == 201
    assert admin.call("POST", "/jobs", NEW_JOB).status_code == 409
    assert Job.objects.filter(name="nightly").count() == 1


def test_an_execution_shows_its_results_and_violation_diff(as_role, job) -> None:
    from django.utils import timezone

    from compliance_monitor.checks.base import CheckOutcome, Violation
    from compliance_monitor.jobs import lifecycle
    from compliance_monitor.jobs.lifecycle import Result

    now = timezone.now()
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=now)
    lifecycle.claim(execution.pk, worker="w", now=now)
    outcome = CheckOutcome("diagnostics.pass", "MATERIAL", (Violation("MATERIAL", "P1", quantity=5, unit="ks"),))
    lifecycle.finish(execution.pk, Result("succeeded", (outcome,)), now=now)

    body = as_role("viewer").call("GET", f"/executions/{execution.pk}").json()

    assert (body["job"], body["status"], body["violation_reports"]) == ("compliance", "succeeded", 1)
    (result,) = body["check_results"]
    assert result["message"] == "P1 (5ks)" and result["violations"][0]["change"] == "new"


def test_history_lists_runs_newest_first_in_the_documented_shape(as_role, job) -> None:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    for minutes in (1, 3, 2):
        Execution.objects.create(
            job=job,
            trigger="manual",
            queued_at=now - timedelta(minutes=minutes),
            status="succeeded",
            total_reports=2,
            successful_reports=1,
            violation_reports=1,
        )

    rows = as_role("viewer").call("GET", "/jobs/compliance/executions?limit=2").json()

    assert len(rows) == 2 and rows[0]["queued_at"] > rows[1]["queued_at"]
    first = rows[0]
    assert (first["job"], first["status"], first["success_rate"], first["has_violations"]) == (
        "compliance",
        "succeeded",
        50.0,
        True,
    )
    assert Execution.objects.filter(pk=first["execution_id"]).exists()
