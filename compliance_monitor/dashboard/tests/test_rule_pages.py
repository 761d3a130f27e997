"""Warehouse rules: the service (checks/rules.py) and the pages that pick them from the connection's catalog."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance_monitor.checks import rules
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.dashboard.rule_lines import CatalogIndex
from compliance_monitor.dashboard.tests.catalogs import acme, stored_catalog
from compliance_monitor.erp import catalog
from compliance_monitor.erp.models import Connection

PAGE = "/connections/acme/"
ADD = f"{PAGE}rules/add"


@pytest.fixture
def connection(db: None) -> Connection:
    found = acme()
    stored_catalog(found)
    return found


def rule(connection: Connection, code: str = "ZBOZI", allowed: list[str] | None = None, **fields: object):  # type: ignore[no-untyped-def]
    fields.setdefault("classify_by", "goods_group")
    return rules.create_rule(
        connection, now=timezone.now(), warehouse_code=code, allowed=allowed or ["VYROBEK"], **fields
    )


def rules_section(html: str) -> str:
    start = html.index('id="rules"')
    return html[start : html.index("</section>", start)]


# --- the service ------------------------------------------------------------------------------------------------


def test_a_rule_takes_its_warehouse_id_from_the_catalog(connection) -> None:
    assert rule(connection).warehouse_id == 62
    assert rule(connection, "NOWHERE").warehouse_id is None  # kept, flagged on the pages
    assert rule(connection, "SUROVINY", warehouse_id=7).warehouse_id == 7  # given: kept


def test_a_second_rule_for_the_same_warehouse_is_refused_on_its_code(connection) -> None:
    rule(connection)
    with pytest.raises(ValidationError) as refused:
        rule(connection, allowed=["ZBOZI"])
    assert "warehouse ZBOZI has a rule on connection acme already" in refused.value.message_dict["warehouse_code"][0]
    other = Connection.objects.create(name="other", company="other", base_url="http://127.0.0.1:9")
    assert rule(other).connection == other  # the same code in another company is another warehouse


@pytest.mark.parametrize("allowed", [[], [""], ["  "], [3], "VYROBEK", None])
def test_allowed_must_be_a_non_empty_list_of_strings(connection, allowed) -> None:
    with pytest.raises(ValidationError) as refused:
        rules.create_rule(
            connection, now=timezone.now(), warehouse_code="ZBOZI", classify_by="goods_group", allowed=allowed
        )
    assert "allowed" in refused.value.message_dict
    assert not WarehouseRule.objects.filter(connection=connection).exists()


def test_a_rule_is_validated_whole(connection) -> None:
    with pytest.raises(ValidationError) as refused:
        rules.create_rule(connection, now=timezone.now(), warehouse_code="", classify_by="colour", allowed=["x"])
    assert set(refused.value.message_dict) == {"warehouse_code", "classify_by"}


def test_updating_the_code_takes_the_new_warehouses_id_and_delete_removes(connection) -> None:
    found = rule(connection)
    rules.update_rule(found, now=timezone.now(), warehouse_code="SUROVINY", allowed=[" MATERIAL ", "MATERIAL"])
    found.refresh_from_db()
    assert (found.warehouse_code, found.warehouse_id, found.allowed) == ("SUROVINY", 61, ["MATERIAL"])
    with pytest.raises(TypeError):
        rules.update_rule(found, now=timezone.now(), connection=connection)
    rules.delete_rule(found, now=timezone.now())
    assert not WarehouseRule.objects.filter(pk=found.pk).exists()


def test_the_pages_flag_what_unknown_codes_flags(connection) -> None:
    cases = [
        ("ZBOZI", ["8", "MATERIAL"], "goods_group"),
        ("NOWHERE", ["X", "1"], "goods_group"),
        ("62", ["material", "typZasoby.zbozi", "robot"], "product_type"),
    ]
    index = CatalogIndex.of(connection)
    for code, allowed, by in cases:
        line = index.line(WarehouseRule(connection=connection, warehouse_code=code, allowed=allowed, classify_by=by))
        assert line.unknown == catalog.unknown_codes(connection, code, allowed, by)


# --- the pages --------------------------------------------------------------------------------------------------


def test_the_form_offers_the_catalogs_warehouses_and_goods_groups(as_role, connection) -> None:
    html = as_role("admin").get(ADD).content.decode()
    assert '<option value="SUROVINY">SUROVINY — Raw materials</option>' in html
    assert '<option value="ZBOZI">ZBOZI — Finished goods</option>' in html
    groups = html[html.index('data-testid="allowed-groups"') : html.index('data-testid="allowed-types"')]
    assert 'type="checkbox" name="allowed_groups" value="VYROBEK"' in groups and "VYROBEK — Product" in groups
    assert 'value="typZasoby.material"' in html and "typZasoby.material — Material" in html


def test_an_admin_adds_a_rule_by_picking_from_the_catalog(as_role, connection) -> None:
    client = as_role("admin")
    data = {
        "warehouse_code": "ZBOZI",
        "classify_by": "goods_group",
        "allowed_groups": ["VYROBEK", "ZBOZI"],
        "report_name": "Finished goods check",
        "enabled": "on",
    }

    response = client.post(ADD, data)

    assert response.status_code == 302 and response["Location"] == f"{PAGE}#rules"
    found = WarehouseRule.objects.get(connection=connection)
    assert (found.warehouse_code, found.warehouse_id, found.allowed) == ("ZBOZI", 62, ["VYROBEK", "ZBOZI"])
    listed = rules_section(client.get(PAGE).content.decode())
    assert "<code>ZBOZI</code> Finished goods" in listed
    assert "<li><code>VYROBEK</code> Product</li>" in listed and "<li><code>ZBOZI</code> Goods</li>" in listed
    assert "⚠" not in listed and "Finished goods check" in listed


def test_a_rule_by_product_type_takes_the_ticked_types(as_role, connection) -> None:
    data = {
        "warehouse_code": "SUROVINY",
        "classify_by": "product_type",
        "allowed_types": ["typZasoby.material"],
        "allowed_groups": ["VYROBEK"],
        "enabled": "on",
    }
    assert as_role("admin").post(ADD, data).status_code == 302
    found = WarehouseRule.objects.get(connection=connection)
    assert (found.classify_by, found.allowed) == ("product_type", ["typZasoby.material"])


def test_nothing_ticked_is_refused_on_the_field_and_nothing_is_saved(as_role, connection) -> None:
    response = as_role("admin").post(ADD, {"warehouse_code": "ZBOZI", "classify_by": "goods_group"})
    html = response.content.decode()
    assert response.status_code == 422
    groups = html[html.index('data-testid="allowed-groups"') : html.index('data-testid="allowed-types"')]
    assert "tick at least one goods group the warehouse may hold" in groups
    assert not WarehouseRule.objects.filter(connection=connection).exists()


def test_a_warehouse_not_in_the_catalog_cannot_be_posted(as_role, connection) -> None:
    response = as_role("admin").post(
        ADD, {"warehouse_code": "NOWHERE", "classify_by": "goods_group", "allowed_groups": ["VYROBEK"]}
    )
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    assert not WarehouseRule.objects.filter(connection=connection).exists()


def test_a_second_rule_for_a_warehouse_is_refused_on_the_warehouse_field(as_role, connection) -> None:
    rule(connection)
    response = as_role("admin").post(
        ADD, {"warehouse_code": "ZBOZI", "classify_by": "goods_group", "allowed_groups": ["MATERIAL"]}
    )
    html = response.content.decode()
    assert response.status_code == 422
    field = html[html.index('for="id_warehouse_code"') : html.index('id="id_classify_by"')]
    assert "warehouse ZBOZI has a rule on connection acme already" in field
    assert WarehouseRule.objects.get(connection=connection).allowed == ["VYROBEK"]


def test_without_a_catalog_the_form_says_refresh_it_first(as_role) -> None:
    acme()
    html = as_role("admin").get(ADD).content.decode()
    assert "refresh the catalog first" in html and 'data-testid="rule-form"' not in html
    stored_catalog(Connection.objects.get(name="acme"), warehouses=[])
    assert "lists no warehouses: refresh the catalog first" in as_role("admin").get(ADD).content.decode()


def test_a_rule_naming_codes_the_catalog_does_not_know_is_flagged(as_role, connection) -> None:
    rule(connection, "NOWHERE", allowed=["VYROBEK", "GHOST", "<b>X</b>"])
    listed = rules_section(as_role("viewer").get(PAGE).content.decode())
    assert "⚠ unknown to the ERP's catalog: NOWHERE, GHOST, &lt;b&gt;X&lt;/b&gt;" in listed and "<b>X" not in listed
    assert "<li><code>VYROBEK</code> Product</li>" in listed


def test_editing_ticks_what_the_rule_holds_and_keeps_unknown_codes_offered(as_role, connection) -> None:
    found = rule(connection, allowed=["8", "GHOST"])  # an id, as the default rules hold them, and an unknown code
    client = as_role("admin")
    html = client.get(f"{PAGE}rules/{found.pk}/edit").content.decode()
    assert 'value="VYROBEK" id="id_allowed_groups_2" checked' in html.replace('"\n', '" ')
    assert "GHOST ⚠ unknown to the ERP&#x27;s catalog" in html and 'value="GHOST"' in html
    assert '<option value="ZBOZI" selected>' in html

    data = {"warehouse_code": "ZBOZI", "classify_by": "goods_group", "allowed_groups": ["VYROBEK", "MATERIAL"]}
    response = client.post(f"{PAGE}rules/{found.pk}/edit", data)

    assert response.status_code == 302
    found.refresh_from_db()
    assert found.allowed == ["VYROBEK", "MATERIAL"] and not found.enabled  # enabled unticked


def test_an_admin_deletes_a_rule(as_role, connection) -> None:
    found = rule(connection)
    client = as_role("admin")
    assert f'action="{PAGE}rules/{found.pk}/delete"' in client.get(PAGE).content.decode()
    response = client.post(f"{PAGE}rules/{found.pk}/delete")
    assert response.status_code == 302 and not WarehouseRule.objects.filter(pk=found.pk).exists()
    assert "Deleted the rule for warehouse ZBOZI" in client.get(PAGE).content.decode()


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_an_admin_changes_rules(as_role, connection, role) -> None:
    found = rule(connection)
    client = as_role(role)
    assert "add-rule" not in client.get(PAGE).content.decode() and "edit-rule" not in client.get(PAGE).content.decode()
    assert client.get(ADD).status_code == 403
    data = {"warehouse_code": "SUROVINY", "classify_by": "goods_group", "allowed_groups": ["MATERIAL"]}
    assert client.post(ADD, data).status_code == 403
    assert client.post(f"{PAGE}rules/{found.pk}/edit", data).status_code == 403
    assert client.post(f"{PAGE}rules/{found.pk}/delete").status_code == 403
    assert list(WarehouseRule.objects.filter(connection=connection)) == [found]


def test_a_rule_of_another_connection_is_a_404(as_role, connection) -> None:
    other = Connection.objects.create(name="other", company="other", base_url="http://127.0.0.1:9")
    found = rule(other)
    assert as_role("admin").get(f"{PAGE}rules/{found.pk}/edit").status_code == 404
    assert as_role("admin").post(f"{PAGE}rules/{found.pk}/delete").status_code == 404
    assert WarehouseRule.objects.filter(pk=found.pk).exists()


def test_erp_names_in_the_form_are_escaped(as_role, connection) -> None:
    stored_catalog(
        connection,
        warehouses=[{"id": "9", "code": "W9", "name": "<script>alert(1)</script>"}],
        goods_groups=[{"id": "1", "code": "G1", "name": "<img src=x onerror=alert(2)>"}],
    )
    html = as_role("admin").get(ADD).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "W9 — &lt;script&gt;alert(1)&lt;/script&gt;" in html and "G1 — &lt;img src=x onerror=alert(2)&gt;" in html
