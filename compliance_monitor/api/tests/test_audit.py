"""Item 13 of issue 10: every configuration change is recorded — who, when, before → after — and shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from compliance_monitor.accounts import audit
from compliance_monitor.api import tokens
from compliance_monitor.api.models import ApiToken
from compliance_monitor.api.tests.conftest import Api
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.jobs import lifecycle, retention, services
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Job, Status
from compliance_monitor.notifications.models import MaintenanceWindow, Recipient


@pytest.fixture
def alice(db: None):
    user = get_user_model().objects.create_user("alice", "alice@example.com", "pw")
    user.groups.add(Group.objects.get(name="admin"))
    return user


@pytest.fixture
def alice_api(alice) -> Api:
    return Api(tokens.create(alice, name="ops", now=timezone.now())[1])


def test_item_13_a_job_changed_through_the_api_by_token_shows_alice_before_and_after(
    alice, alice_api: Api, job: Job
) -> None:
    assert alice_api.call("PATCH", "/jobs/compliance", {"cron": "*/30 * * * *", "max_retries": 4}).status_code == 200

    answer = alice_api.call("GET", "/audit?model=job&object=compliance")

    assert answer.status_code == 200
    body = answer.json()
    latest = body["items"][0]
    assert (latest["who"], latest["action"], latest["model"], latest["object"]) == (
        "alice",
        "update",
        "job",
        "compliance",
    )
    assert latest["changes"] == {"cron": ["0 * * * *", "*/30 * * * *"], "max_retries": [2, 4]}
    assert body["items"][-1]["action"] == "create" and body["count"] == 2

    page = Client()
    page.force_login(alice)
    html = page.get("/audit/?model=job&object=compliance").content.decode()
    assert "alice" in html and "0 * * * *" in html and "*/30 * * * *" in html and "max_retries" in html


def test_item_13_enable_and_disable_are_recorded_but_runs_are_not(alice_api: Api, job: Job) -> None:
    alice_api.call("POST", "/jobs/compliance/disable", {"reason": "stock-taking"})
    alice_api.call("POST", "/jobs/compliance/enable")
    before = LogEntry.objects.count()
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=timezone.now())
    lifecycle.claim(execution.pk, worker="w/1", now=timezone.now())
    lifecycle.finish(execution.pk, Result(Status.SUCCEEDED, ()), now=timezone.now())

    assert LogEntry.objects.count() == before  # counters, lease, last run: bookkeeping, not configuration
    disable, enable = reversed(alice_api.call("GET", "/audit?model=job").json()["items"][:2])
    assert disable["who"] == enable["who"] == "alice"
    assert disable["changes"] == {"enabled": [True, False], "disabled_reason": ["", "stock-taking"]}
    assert enable["changes"] == {"enabled": [False, True], "disabled_reason": ["stock-taking", ""]}


def test_item_13_rules_recipients_windows_and_tokens_are_audited_without_their_secrets(
    alice, admin_client: Client, job: Job
) -> None:
    rule = WarehouseRule.objects.get(warehouse_code="MATERIAL")
    rule.allowed = ["3", "9"]
    rule.save()
    Recipient.objects.create(name="Team chat", apprise_url="slack://T1/B2/very-secret-token", warehouses=["ZBOZI"])
    now = timezone.now()
    MaintenanceWindow.objects.create(warehouse="ZBOZI", starts_at=now, ends_at=now + timedelta(hours=2))
    token, key = tokens.create(alice, name="grafana", now=now)
    assert admin_client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}).status_code

    answer = Api(tokens.create(alice, name="auditor", now=now)[1]).call("GET", "/audit?page_size=100").json()

    by_model = {(e["model"], e["action"], e["object_id"]): e for e in answer["items"]}
    assert by_model[("rule", "update", str(rule.pk))]["changes"]["allowed"][1] == ["3", "9"]
    recipient = next(e for e in answer["items"] if e["model"] == "recipient")
    assert recipient["changes"]["apprise_url"] == ["", "***"] and "id" not in recipient["changes"]
    assert ("maintenance", "create") in {(e["model"], e["action"]) for e in answer["items"]}
    revoked = by_model[("token", "update", str(token.pk))]
    assert revoked["who"] == "admin" and set(revoked["changes"]) == {"revoked_at", "revoked_by"}
    created = by_model[("token", "create", str(token.pk))]
    assert created["changes"]["user"][1] == "alice" and "key_hash" not in created["changes"]
    text = str(answer)
    assert "very-secret-token" not in text and token.key_hash not in text and key not in text


def test_item_13_the_audit_needs_the_admin_role(as_role, job: Job) -> None:
    assert as_role("operator").call("GET", "/audit").status_code == 403
    assert as_role("anonymous").call("GET", "/audit").status_code == 401
    assert as_role("admin").call("GET", "/audit?model=nothing").status_code == 422
    viewer = get_user_model().objects.get(username="operator-user")
    page = Client()
    page.force_login(viewer)
    assert page.get("/audit/").status_code == 403


def test_item_13_the_audit_is_kept_as_long_as_the_execution_history(alice_api: Api, job: Job) -> None:
    alice_api.call("PATCH", "/jobs/compliance", {"cron": "*/30 * * * *"})
    LogEntry.objects.update(timestamp=timezone.now() - timedelta(days=91))
    alice_api.call("PATCH", "/jobs/compliance", {"cron": "*/15 * * * *"})

    retention.delete_old_executions(now=timezone.now(), days=90)

    (kept,) = LogEntry.objects.all()
    assert kept.changes_dict["cron"] == ["*/30 * * * *", "*/15 * * * *"]
    assert ApiToken.objects.exists()


def test_item_13_a_command_line_change_is_recorded_with_its_callers_name(alice, job: Job) -> None:
    with audit.recorded_as("alice"):
        services.update_job(job, {"cron": "*/5 * * * *"}, now=timezone.now())
    with audit.recorded_as("nightly-script"):
        services.disable(job, reason="holiday", by="nightly-script", now=timezone.now())

    script, person = (audit.describe(e) for e in LogEntry.objects.order_by("-pk")[:2])
    assert (person["who"], person["changes"]["cron"]) == ("alice", ["0 * * * *", "*/5 * * * *"])
    assert script["who"] == "nightly-script" and script["changes"]["enabled"] == [True, False]


def test_item_13_a_change_from_the_command_line_is_recorded_under_the_callers_name(job: Job) -> None:
    import getpass
    from io import StringIO

    from django.core.management import call_command

    call_command("jobs", "set", "compliance", "--cron", "*/15 * * * *", stdout=StringIO())

    latest = audit.entries(model="job", name="compliance")[0]
    assert latest["who"] == f"cli:{getpass.getuser()}" and latest["changes"]["cron"][1] == "*/15 * * * *"


def test_item_13_a_connection_change_is_audited_without_its_password(alice_api: Api) -> None:
    body = {"name": "acme", "base_url": "https://erp.acme.example:5434", "company": "acme", "username": "api"}
    assert alice_api.call("POST", "/connections", {**body, "password": "s3cret-Pa55"}).status_code == 201
    assert (
        alice_api.call("PATCH", "/connections/acme", {"password": "n3w-Pa55", "timeout_seconds": 10}).status_code == 200
    )

    trail = alice_api.call("GET", "/audit?model=connection&object=acme").json()["items"]

    assert [entry["who"] for entry in trail] == ["alice", "alice"]
    assert trail[0]["changes"]["timeout_seconds"] == [30.0, 10.0]
    assert trail[0]["changes"]["password_encrypted"] == ["***", "***"]
    text = str(trail)
    assert "s3cret-Pa55" not in text and "n3w-Pa55" not in text and "gAAAA" not in text  # nor the Fernet token
