"""Issue 12's newcomer: copies a library check in the dashboard, narrows it to ZBOZI, previews it, saves it, puts it
on a job — and the job's run raises an alert. No code written."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import yaml
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.utils import timezone

from compliance_monitor.accounts.roles import Role
from compliance_monitor.alerts import raising
from compliance_monitor.alerts.models import Alert
from compliance_monitor.checks import library
from compliance_monitor.checks.models import CheckDefinition, CheckResult
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from compliance_monitor.jobs import runner, services
from compliance_monitor.jobs.models import Execution, Status
from tests.erp_connection import connect_to

pytestmark = pytest.mark.django_db(transaction=True)  # the runner's heartbeat thread commits through its own


@pytest.fixture
def erp(transactional_db: None) -> Iterator[FlexiServer]:
    flexi = FlexiServer(FlexiState(Company(), username="api", password="pw")).start_in_thread()
    connect_to(flexi, page_size=50)
    library.install(now=timezone.now())
    for role in Role:  # a transactional test's flush removed the migration's role groups
        Group.objects.get_or_create(name=role.group)
    with override_settings(CM_ERP_RETRIES=0):
        yield flexi
    flexi.shutdown()
    flexi.server_close()


def text_of(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def test_a_newcomer_adds_negative_stock_in_zbozi_previews_it_and_gets_an_alert(
    erp: FlexiServer, as_role: Callable[[str], Client]
) -> None:
    admin = as_role("admin")
    listed = admin.get("/checks/")
    assert "Negative stock" in text_of(listed) and 'data-testid="copy-stock.negative"' in text_of(listed)

    copy = admin.get("/checks/new?from=stock.negative")
    spec = yaml.safe_load(copy.context["text"])
    assert spec["name"] == "stock.negative.copy" and spec["predicate"] == "stavMJ < 0"
    spec |= {"name": "stock.negative_zbozi", "scope": {"field": "sklad", "values": ["ZBOZI"]}}
    spec["title"] = {"en": "Negative stock in ZBOZI", "cs": "Záporný stav ve skladu ZBOZI"}
    edited = yaml.safe_dump(spec, allow_unicode=True)

    preview = admin.post("/checks/new", {"definition": edited, "action": "preview"})
    assert preview.status_code == 200 and preview.context["preview"]["count"] > 0
    assert [s["scope"] for s in preview.context["preview"]["scopes"]] == ["ZBOZI"]
    assert not CheckDefinition.objects.filter(name="stock.negative_zbozi").exists()  # a preview stores nothing

    saved = admin.post("/checks/new", {"definition": edited, "action": "save"})
    assert saved.status_code == 302 and saved["Location"] == "/checks/stock.negative_zbozi/"
    job_form = admin.get("/jobs/new")
    assert "Negative stock in ZBOZI (stock.negative_zbozi)" in text_of(job_form)  # picked by title

    job = services.create_job(now=timezone.now(), name="zbozi", cron="0 * * * *", checks=["stock.negative_zbozi"])
    now = timezone.now()
    execution = Execution.objects.create(job=job, trigger="manual", queued_at=now)
    runner.run(execution.pk, worker="here/1", clock=lambda: now)
    raising.process_execution(execution.pk, now=now)

    execution.refresh_from_db()
    assert execution.status == Status.SUCCEEDED
    alert = Alert.objects.get(check_name="stock.negative_zbozi")
    assert alert.warehouse == "ZBOZI" and alert.title.startswith("Negative stock in ZBOZI: ")


def test_a_mistake_is_shown_next_to_its_field_and_nothing_is_saved(
    erp: FlexiServer, as_role: Callable[[str], Client]
) -> None:
    admin = as_role("admin")
    bad = yaml.safe_dump({"name": "x.y", "title": "X", "evidence": "cenik", "predicate": "kod ==", "identity": ["kod"]})

    for action in ("preview", "save"):
        answer = admin.post("/checks/new", {"definition": bad, "action": action})
        assert answer.status_code == 422 and "predicate" in answer.context["errors"]
    assert admin.post("/checks/new", {"definition": "name: [", "action": "save"}).context["errors"]["definition"]
    assert not CheckDefinition.objects.filter(name="x.y").exists() and not CheckResult.objects.exists()


def test_viewers_read_checks_operators_preview_and_only_admins_change_them(
    erp: FlexiServer, as_role: Callable[[str], Client]
) -> None:
    stored = CheckDefinition.objects.get(name="stock.negative")
    text = yaml.safe_dump({**stored.spec, "predicate": "stavMJ < -100"})
    assert as_role("viewer").get("/checks/stock.negative/").status_code == 200
    assert (
        as_role("viewer").post("/checks/stock.negative/", {"definition": text, "action": "preview"}).status_code == 403
    )
    assert (
        as_role("operator").post("/checks/stock.negative/", {"definition": text, "action": "preview"}).status_code
        == 200
    )
    assert (
        as_role("operator").post("/checks/stock.negative/", {"definition": text, "action": "save"}).status_code == 403
    )
    assert as_role("admin").post("/checks/stock.negative/", {"definition": text, "action": "save"}).status_code == 302
    assert CheckDefinition.objects.get(name="stock.negative").version == 2
