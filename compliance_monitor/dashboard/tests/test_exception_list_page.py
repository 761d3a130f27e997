"""Issue 16, item 4 in the dashboard: /exceptions/ lists the accepted exceptions — standing ones by default, those
ending within 14 days, or all with the ended and revoked ones — each with its company, check, warehouse, product,
reason, who and until when, and a link to its scope's open alert (where it is revoked). A warehouse's manager sees
their warehouses' only; someone with neither a role nor a warehouse is refused naming the viewer role.

Shown failing: with the standing filter left out (the revoked one is listed), with ``visible_in_warehouses``
replaced by every exception (the manager sees ZBOZI's), and with the alert looked up without its warehouse (the
MATERIAL exception links to the ZBOZI alert)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from compliance_monitor.accounts.models import ConnectionAccess
from compliance_monitor.alerts.models import Alert
from compliance_monitor.checks.models import AcceptedException
from compliance_monitor.dashboard.tests.conftest import outcome
from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs.models import Execution

CHECK = "warehouse.product_types"


def accepted(identity: str, *, warehouse: str = "ZBOZI", days: float = 30, connection: str = "", **extra: Any) -> int:
    now = timezone.now()
    return AcceptedException.objects.create(
        connection=connection,
        check_name=CHECK,
        warehouse=warehouse,
        identity=identity,
        reason=f"reason for {identity}",
        expires_at=now + timedelta(days=days),
        created_by="olga",
        created_at=now - timedelta(days=40),
        **extra,
    ).pk


@pytest.fixture
def scene(finished_run: Callable[..., Execution]) -> dict[str, int]:
    """Open alerts of MATERIAL and ZBOZI; exceptions there: standing, ending soon, ended, revoked."""
    finished_run(outcome("MATERIAL", "M001"), outcome("ZBOZI", "Z001"))
    connection = Alert.objects.get(warehouse="ZBOZI").connection
    now = timezone.now()
    return {
        "standing": accepted("Z002", connection=connection),
        "soon": accepted("Z003", days=7, connection=connection),
        "ended": accepted("Z004", days=-1, connection=connection),
        "revoked": accepted("Z005", connection=connection, revoked_at=now - timedelta(hours=1), revoked_by="jana"),
        "material": accepted("M002", warehouse="MATERIAL", connection=connection),
    }


def rows(html: str) -> set[int]:
    return {int(part.split('"')[0]) for part in html.split('data-testid="exception-')[1:] if part[0].isdigit()}


def test_the_standing_ones_are_listed_with_their_alert_and_all_shows_the_ended_and_revoked(
    as_role: Callable[[str], Client], scene: dict[str, int]
) -> None:
    viewer = as_role("viewer")
    page = viewer.get("/exceptions/").content.decode()

    assert rows(page) == {scene["standing"], scene["soon"], scene["material"]}
    row = page.split(f'data-testid="exception-{scene["standing"]}"')[1].split("</tr>")[0]
    zbozi, material = Alert.objects.get(warehouse="ZBOZI"), Alert.objects.get(warehouse="MATERIAL")
    assert f'href="/alerts/{zbozi.pk}/#exceptions"' in row
    assert all(text in row for text in ("ZBOZI", "Z002", "reason for Z002", "olga", CHECK))
    assert f'href="/alerts/{material.pk}/#exceptions"' in page.split(f'exception-{scene["material"]}"')[1]
    assert 'href="/exceptions/"' in viewer.get("/alerts/").content.decode()  # the header's link

    everything = viewer.get("/exceptions/?show=all").content.decode()
    assert rows(everything) == set(scene.values())
    assert 'data-state="revoked"' in everything and "revoked by jana" in everything
    assert 'data-state="ended"' in everything
    assert rows(viewer.get("/exceptions/?show=expiring").content.decode()) == {scene["soon"]}
    assert rows(viewer.get("/exceptions/?show=nonsense").content.decode()) == rows(page)  # the default


def test_a_resolved_alert_is_not_linked(
    as_role: Callable[[str], Client], scene: dict[str, int], finished_run: Callable[..., Execution]
) -> None:
    finished_run(outcome("MATERIAL", "M001"), outcome("ZBOZI"), ago=timedelta(seconds=-5))  # ZBOZI clean: resolved
    assert Alert.objects.get(warehouse="ZBOZI").state == "resolved"
    page = as_role("viewer").get("/exceptions/").content.decode()
    row = page.split(f'data-testid="exception-{scene["standing"]}"')[1].split("</tr>")[0]
    assert "/alerts/" not in row and "none open" in row


def test_a_warehouse_manager_sees_only_their_warehouses(manager: Client, scene: dict[str, int]) -> None:
    page = manager.get("/exceptions/?show=all")

    assert page.status_code == 200
    assert rows(page.content.decode()) == {scene["material"]}  # MATERIAL only


def test_a_user_limited_to_another_company_sees_none_of_these(
    as_role: Callable[[str], Client], scene: dict[str, int]
) -> None:
    viewer = as_role("viewer")
    other = Connection.objects.create(name="other", company="other")
    ConnectionAccess.objects.create(user=get_user_model().objects.get(username="viewer-user"), connection=other)

    assert rows(viewer.get("/exceptions/?show=all").content.decode()) == set()


def test_someone_with_neither_a_role_nor_a_warehouse_is_refused(
    as_role: Callable[[str], Client], scene: dict[str, int]
) -> None:
    answer = as_role("none").get("/exceptions/")

    assert answer.status_code == 403 and "this needs the viewer role" in answer.content.decode()
    assert 'href="/exceptions/"' not in as_role("none").get("/notifications/").content.decode()
