"""Schedule conflicts in /api/v1/jobs are the stored ones, current after every change made through the API."""

from __future__ import annotations

import pytest

from compliance_monitor.jobs import conflicts

NEW = {"checks": ["diagnostics.pass"], "timezone": "UTC"}


@pytest.fixture
def expansions(monkeypatch) -> list[str]:
    """The names of the jobs whose schedules the conflict finder expanded into run windows (its whole cost)."""
    calls: list[str] = []
    expand = conflicts._windows

    def counted(job, length, now):
        calls.append(job.name)
        return expand(job, length, now)

    monkeypatch.setattr(conflicts, "_windows", counted)
    return calls


@pytest.fixture
def admin(as_role, django_capture_on_commit_callbacks):
    """An admin's API client whose every request commits, as in production (save hooks run)."""
    api = as_role("admin")

    def call(method: str, path: str, body: object = None):
        with django_capture_on_commit_callbacks(execute=True):
            return api.call(method, path, body)

    return call


def listed(admin) -> dict[str, list[str]]:
    response = admin("GET", "/jobs")
    assert response.status_code == 200
    return {job["name"]: job["schedule_conflicts"] for job in response.json()}


def test_a_cron_change_shows_its_new_conflict_in_the_job_list_at_once(admin, expansions) -> None:
    admin("POST", "/jobs", {"name": "a", "cron": "0 * * * *", **NEW})
    admin("POST", "/jobs", {"name": "b", "cron": "30 * * * *", **NEW})
    assert listed(admin) == {"a": [], "b": []}

    assert admin("PATCH", "/jobs/b", {"cron": "0 */2 * * *"}).status_code == 200
    expansions.clear()
    after = listed(admin)

    assert after["a"] == after["b"] and after["a"][0].startswith("a and b both check all warehouses")
    assert expansions == [], "the list computed conflicts on a read"


def test_a_deleted_job_leaves_the_list_of_conflicts_at_once(admin, expansions) -> None:
    for name in ("a", "b", "c"):
        admin("POST", "/jobs", {"name": name, "cron": "0 * * * *", **NEW})
    assert len(listed(admin)["a"]) == 2

    assert admin("DELETE", "/jobs/c").status_code == 204
    expansions.clear()
    after = listed(admin)

    assert set(after) == {"a", "b"} and not any("c" in m.split(" both")[0] for m in after["a"] + after["b"])
    assert len(after["a"]) == 1
    assert expansions == []


def test_one_job_is_answered_from_the_stored_conflicts_and_as_the_list_shows_it(admin, expansions) -> None:
    admin("POST", "/jobs", {"name": "a", "cron": "0 * * * *", **NEW})
    admin("POST", "/jobs", {"name": "b", "cron": "0 * * * *", "warehouses": ["MATERIAL"], **NEW})
    admin("POST", "/jobs/b/disable", {"reason": "stock-taking"})
    admin("POST", "/jobs/b/enable")
    expansions.clear()

    one = admin("GET", "/jobs/a").json()
    (warning,) = one["schedule_conflicts"]
    every = {job["name"]: job for job in admin("GET", "/jobs").json()}

    assert warning.startswith("a and b both check all warehouses") and expansions == []
    assert every["a"] == one and every["b"] == admin("GET", "/jobs/b").json()  # the list is not ninja's: same shape
