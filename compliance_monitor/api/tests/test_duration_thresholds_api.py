"""A job's duration-anomaly thresholds over the API (issue 16): read, created, patched, refused when out of range."""

from __future__ import annotations

import pytest

from compliance_monitor.jobs.models import Job

DEFAULTS = {
    "slow_run_factor": 2.0,
    "slow_run_margin_seconds": 300,
    "slow_run_timeout_percent": 80,
    "short_run_percent": 10,
}


def test_a_job_reads_with_its_thresholds_and_a_patch_changes_only_those_given(as_role, job) -> None:
    """Shown failing with ``slow_run_factor`` left out of ``JobPatch`` (ninja drops it: the job keeps 2.0)."""
    api = as_role("admin")
    assert {k: api.call("GET", "/jobs/compliance").json()[k] for k in DEFAULTS} == DEFAULTS

    response = api.call("PATCH", "/jobs/compliance", {"slow_run_factor": 3, "slow_run_timeout_percent": 0})

    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in DEFAULTS} == {**DEFAULTS, "slow_run_factor": 3.0, "slow_run_timeout_percent": 0}
    job.refresh_from_db()
    assert (job.slow_run_factor, job.slow_run_timeout_percent, job.short_run_percent) == (3.0, 0, 10)


def test_a_job_is_created_with_its_thresholds(as_role) -> None:
    """Shown failing with ``short_run_percent`` left out of ``JobIn``."""
    body = {"name": "nightly", "cron": "0 2 * * *", "checks": ["diagnostics.pass"], "short_run_percent": 25}

    response = as_role("admin").call("POST", "/jobs", body)

    assert response.status_code == 201, response.content
    assert Job.objects.get(name="nightly").short_run_percent == 25


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slow_run_factor", -1),
        ("slow_run_factor", 101),
        ("slow_run_margin_seconds", -5),
        ("slow_run_timeout_percent", 100),
        ("short_run_percent", 101),
        ("short_run_percent", "10"),
    ],
)
def test_a_threshold_out_of_range_is_a_422_naming_it(as_role, job, field: str, value: object) -> None:
    """Shown failing (the 100 % case) with both the schema's ``le=99`` and the model's ``MaxValueValidator(99)`` on
    ``slow_run_timeout_percent`` dropped: either alone still refuses it, naming the field."""
    response = as_role("admin").call("PATCH", "/jobs/compliance", {field: value})

    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    job.refresh_from_db()
    assert getattr(job, field) == DEFAULTS[field]


def test_a_viewer_sees_the_thresholds_but_cannot_change_them(as_role, job) -> None:
    """Shown failing with ``actor(request, Role.ADMIN)`` dropped from the patch endpoint."""
    response = as_role("viewer").call("PATCH", "/jobs/compliance", {"short_run_percent": 50})

    assert response.status_code == 403
    assert Job.objects.get().short_run_percent == 10
