"""Issue 12: /api/v1/checks — definitions as data, validated with 422s naming the field, previewed storing nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import override_settings
from django.utils import timezone

from compliance_monitor.accounts import access
from compliance_monitor.alerts.models import Alert
from compliance_monitor.api import tokens
from compliance_monitor.api.tests.conftest import Api
from compliance_monitor.checks.models import CheckDefinition, CheckDefinitionVersion, CheckResult
from compliance_monitor.checks.tests.test_definition import NEGATIVE
from compliance_monitor.checks.warehouse import CHECK_NAME as ORIGINAL_REPORTS  # installed by its migration
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution
from tests.erp_connection import connect_to


@pytest.fixture
def erp(db: None) -> Iterator[FlexiServer]:
    flexi = FlexiServer(FlexiState(Company(), username="api", password="pw")).start_in_thread()
    connect_to(flexi, page_size=50)
    with override_settings(CM_ERP_RETRIES=0):
        yield flexi
    flexi.shutdown()
    flexi.server_close()


@pytest.fixture
def admin(as_role: Callable[[str], Api], erp: FlexiServer) -> Api:
    return as_role("admin")


def locations(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {item["loc"][-1]: item["msg"] for item in response.json()["detail"]}


def test_a_check_is_created_read_listed_changed_and_deleted(admin: Api) -> None:
    created = admin.call("POST", "/checks", NEGATIVE)
    assert created.status_code == 201 and created.json()["version"] == 1
    assert created.json()["title"] == "Negative stock in ZBOZI" and created.json()["definition"]["predicate"]

    assert admin.call("GET", f"/checks/{NEGATIVE['name']}").json()["definition"] == created.json()["definition"]
    assert [c["name"] for c in admin.call("GET", "/checks").json()] == [NEGATIVE["name"], ORIGINAL_REPORTS]
    changed = admin.call("PATCH", f"/checks/{NEGATIVE['name']}", {"predicate": "stavMJ < -2"})
    assert changed.status_code == 200 and changed.json()["version"] == 2

    assert admin.call("DELETE", f"/checks/{NEGATIVE['name']}").status_code == 204
    assert admin.call("GET", f"/checks/{NEGATIVE['name']}").status_code == 404
    assert (
        CheckDefinitionVersion.objects.filter(name=NEGATIVE["name"]).count() == 2
    )  # what past results ran stays known


def test_mistakes_are_422s_naming_each_field(admin: Api) -> None:
    bad = {**NEGATIVE, "predicate": "stavMJ <", "thresholds": {"critical": 1, "high": 3}}
    assert set(locations(admin.call("POST", "/checks", bad))) == {"predicate", "thresholds"}
    assert "column" in locations(admin.call("POST", "/checks", bad))["predicate"]
    assert (
        "unknown field 'stavMX'"
        in locations(admin.call("POST", "/checks", {**NEGATIVE, "predicate": "stavMX<0"}))["predicate"]
    )
    unknown = locations(admin.call("POST", "/checks", {**NEGATIVE, "filter": "ucetObdobi = ${nope}"}))
    assert "unknown placeholder ${nope}" in unknown["filter"]
    assert (
        "unknown evidence" in locations(admin.call("POST", "/checks", {**NEGATIVE, "evidence": "no-such"}))["evidence"]
    )
    assert not CheckDefinition.objects.exclude(name=ORIGINAL_REPORTS).exists()


def test_a_taken_name_is_a_conflict_and_only_admins_may_write(admin: Api, as_role: Callable[[str], Api]) -> None:
    assert admin.call("POST", "/checks", NEGATIVE).status_code == 201
    assert admin.call("POST", "/checks", NEGATIVE).status_code == 409
    assert as_role("operator").call("POST", "/checks", {**NEGATIVE, "name": "x.y"}).status_code == 403
    assert as_role("viewer").call("GET", "/checks").status_code == 200


def test_preview_counts_and_lists_violations_and_stores_nothing(admin: Api, erp: FlexiServer) -> None:
    admin.call("POST", "/checks", NEGATIVE)
    executions, results, alerts = Execution.objects.count(), CheckResult.objects.count(), Alert.objects.count()

    preview = admin.call("POST", f"/checks/{NEGATIVE['name']}/preview")

    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["count"] == len(body["violations"]) > 0 and body["scopes"][0]["scope"] == "ZBOZI"
    assert body["scopes"][0]["status"] == "violated" and body["scopes"][0]["rows_read"] > 0
    assert all(v["message"].endswith("ks)") for v in body["violations"]) and body["seconds"] >= 0
    assert (Execution.objects.count(), CheckResult.objects.count(), Alert.objects.count()) == (
        executions,
        results,
        alerts,
    )


def test_preview_of_unsaved_changes_leaves_the_stored_definition_alone(admin: Api) -> None:
    admin.call("POST", "/checks", NEGATIVE)
    preview = admin.call("POST", f"/checks/{NEGATIVE['name']}/preview", {"definition": {"predicate": "stavMJ >> 9"}})
    assert locations(preview).keys() == {"predicate"}  # a mistake in the changes: a 422 naming the field

    preview = admin.call("POST", f"/checks/{NEGATIVE['name']}/preview", {"definition": {"predicate": "stavMJ > 99999"}})
    assert preview.status_code == 200 and preview.json()["count"] == 0
    assert [scope["status"] for scope in preview.json()["scopes"]] == ["passed"]
    not_an_object = admin.call("POST", f"/checks/{NEGATIVE['name']}/preview", {"definition": ["stavMJ"]})
    assert locations(not_an_object) == {"definition": "must be an object of the definition's fields"}
    assert (
        CheckDefinition.objects.get(name=NEGATIVE["name"]).spec["predicate"] == "stavMJ < 0"
        and CheckDefinition.objects.get(name=NEGATIVE["name"]).version == 1
    )


def test_a_check_a_job_runs_cannot_be_deleted(admin: Api) -> None:
    admin.call("POST", "/checks", NEGATIVE)
    services.create_job(
        now=CheckDefinition.objects.get(name=NEGATIVE["name"]).updated_at,
        name="neg",
        cron="0 * * * *",
        checks=[NEGATIVE["name"]],
    )
    refused = admin.call("DELETE", f"/checks/{NEGATIVE['name']}")
    assert refused.status_code == 409 and "neg" in refused.json()["detail"]


def test_a_user_limited_to_one_company_sees_and_changes_only_its_checks(
    admin: Api, as_role: Callable[[str], Api], erp: FlexiServer
) -> None:
    other = connect_to(erp, name="other", company="demo")
    admin.call("POST", "/checks", NEGATIVE)  # for every company
    admin.call("POST", "/checks", {**NEGATIVE, "name": "other.only", "connections": ["other"]})
    user = get_user_model().objects.create_user("limited-admin", "limited@example.com", "pw")
    user.groups.add(Group.objects.get(name="admin"))
    access.limit_user(user, ["default"])
    limited = Api(tokens.create(user, name="tests", now=timezone.now())[1])
    assert other.name == "other"

    assert [c["name"] for c in limited.call("GET", "/checks").json()] == [NEGATIVE["name"], ORIGINAL_REPORTS]
    assert limited.call("GET", "/checks/other.only").status_code == 404
    assert limited.call("POST", "/checks/other.only/preview").status_code == 404
    assert limited.call("PATCH", f"/checks/{NEGATIVE['name']}", {"predicate": "stavMJ < -5"}).status_code == 403
    mine = limited.call("POST", "/checks", {**NEGATIVE, "name": "mine.only", "connections": ["default"]})
    assert mine.status_code == 201
    widened = limited.call("PATCH", "/checks/mine.only", {"connections": ["default", "other"]})
    assert widened.status_code == 403  # not onto another company's data
    preview = limited.call("POST", f"/checks/{NEGATIVE['name']}/preview")
    assert preview.status_code == 200 and preview.json()["connection"] == "default"
