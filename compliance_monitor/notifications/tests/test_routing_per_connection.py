"""Issue 11: a warehouse is (connection, code) — every company may have a ZBOZI, and its manager is its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from compliance_monitor.alerts.models import Alert, AlertType
from compliance_monitor.erp.models import Connection
from compliance_monitor.notifications import outbox
from compliance_monitor.notifications.models import MaintenanceWindow, Recipient
from compliance_monitor.notifications.tests.conftest import AT_ONCE

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def company(name: str) -> Connection:
    return Connection.objects.create(name=name, company=name, base_url="http://127.0.0.1:1")


def zbozi_alert(connection: str) -> Alert:
    return Alert.objects.create(
        type=AlertType.COMPLIANCE_VIOLATION,
        severity=2,
        fingerprint=f"f-{connection}",
        title="t",
        connection=connection,
        warehouse="ZBOZI",
        raised_at=T0,
        last_seen_at=T0,
    )


def test_the_manager_of_zbozi_in_one_company_is_not_told_about_zbozi_in_another() -> None:
    a, _ = company("a"), company("b")
    petra = Recipient.objects.create(
        name="Petra", email="petra@a.example", connection=a, warehouses=["ZBOZI"], **AT_ONCE
    )
    boss = Recipient.objects.create(name="Boss", email="boss@example.com", is_administrator=True, **AT_ONCE)

    assert outbox.recipients_for(zbozi_alert("a"), "raised") == [petra]
    assert outbox.recipients_for(zbozi_alert("b"), "raised") == [boss], "nobody manages b's ZBOZI: administrators"


def test_a_manager_of_no_connection_manages_that_code_in_every_company() -> None:
    company("a"), company("b")
    everywhere = Recipient.objects.create(
        name="Group stores", email="stores@example.com", warehouses=["ZBOZI"], **AT_ONCE
    )

    assert outbox.recipients_for(zbozi_alert("a"), "raised") == [everywhere]
    assert outbox.recipients_for(zbozi_alert("b"), "raised") == [everywhere]


def test_a_maintenance_window_of_one_company_mutes_only_that_companys_warehouse() -> None:
    a, _ = company("a"), company("b")
    window = MaintenanceWindow.objects.create(
        connection=a, warehouse="ZBOZI", starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=1)
    )

    assert outbox.active_window(zbozi_alert("a"), T0) == window
    assert outbox.active_window(zbozi_alert("b"), T0) is None


def test_a_checks_owners_hear_about_its_alerts_besides_the_warehouses_manager() -> None:
    from compliance_monitor.checks import definitions
    from compliance_monitor.checks.tests.test_definition import NEGATIVE

    a = company("a")
    petra = Recipient.objects.create(
        name="Petra", email="petra@a.example", connection=a, warehouses=["ZBOZI"], **AT_ONCE
    )
    controller = Recipient.objects.create(name="Controller", email="Controller@Example.com", **AT_ONCE)
    Recipient.objects.create(name="Other", email="other@example.com", **AT_ONCE)
    with_owners = {**NEGATIVE, "owners": ["controller@example.com", "nobody@example.com"]}
    definitions.store(definitions.parse(with_owners, None), now=T0)
    alert = zbozi_alert("a")

    assert outbox.recipients_for(alert, "raised") == [petra]  # another check's alert: the manager only
    alert.check_name = NEGATIVE["name"]
    assert outbox.recipients_for(alert, "raised") == [controller, petra]
