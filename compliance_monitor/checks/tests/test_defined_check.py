"""Issue 12: each library rule, run over HTTP against the local Flexi-format server, finds exactly the rows a plain
Python reading of the same data says violate it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from compliance_monitor.checks import library
from compliance_monitor.checks.base import WHOLE_EVIDENCE, CheckContext, CheckOutcome, OutcomeStatus
from compliance_monitor.checks.defined import DefinedCheck
from compliance_monitor.checks.definition import Definition, parse
from compliance_monitor.checks.tests.test_definition import NEGATIVE, local_fields
from compliance_monitor.erp import reads, server
from compliance_monitor.erp.flexi import ErpAuthError, ErpError
from compliance_monitor.erp.models import Connection
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from tests.erp_connection import connect_to

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
WAREHOUSES = ("ZBOZI", "MATERIAL", "POLOTOVARY")
Row = dict[str, Any]


@pytest.fixture
def erp() -> Iterator[FlexiServer]:
    flexi = FlexiServer(FlexiState(Company(), username="api", password="pw", today=TODAY)).start_in_thread()
    with override_settings(CM_ERP_RETRIES=0):
        yield flexi
    flexi.shutdown()
    flexi.server_close()


@pytest.fixture
def connection(db: None, erp: FlexiServer) -> Connection:
    return connect_to(erp, page_size=7)


def shipped(name: str) -> Definition:
    return next(definition for definition in library.parsed() if definition.name == name)


def run(definition: Definition, connection: Connection, **options: Any) -> dict[str, CheckOutcome]:
    context = CheckContext(uuid.uuid4(), "job", NOW, connection=connection, **options)
    return {outcome.warehouse: outcome for outcome in DefinedCheck(definition, 1).run(context)}


def every_row(erp: FlexiServer, evidence: str, *relations: str) -> list[Row]:
    """The evidence whole, straight from the server's data, relations expanded: the facts to judge by hand."""
    includes = ",".join(f"/{evidence}/{relation}" for relation in relations)
    answer = server.route(erp.state, f"/c/demo/{evidence}.json", {"detail": "full", "limit": "0", "includes": includes})
    return list(answer["winstrom"][evidence])


def code(row: Row, relation: str) -> str:
    value = row[relation]
    return str(value[0]["kod"]) if isinstance(value, list) else str(value).removeprefix("code:")


def stock_offenders(erp: FlexiServer, judge: Callable[[Row], bool]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {warehouse: [] for warehouse in WAREHOUSES}
    for row in every_row(erp, "skladova-karta", "sklad", "cenik"):
        if code(row, "ucetObdobi") == str(TODAY.year) and judge(row):
            found[code(row, "sklad")].append(code(row, "cenik"))
    return found


def found(outcomes: dict[str, CheckOutcome]) -> dict[str, list[str]]:
    assert all(outcome.status != OutcomeStatus.ERROR for outcome in outcomes.values()), outcomes
    return {scope: [v.product_code for v in outcome.violations] for scope, outcome in outcomes.items()}


def number(row: Row, field: str) -> float:
    return float(row[field])


def test_negative_stock_is_found_per_warehouse_in_the_current_period_only(
    connection: Connection, erp: FlexiServer
) -> None:
    outcomes = run(shipped("stock.negative"), connection)

    expected = stock_offenders(erp, lambda row: number(row, "stavMJ") < 0)
    assert found(outcomes) == expected and all(expected.values())
    cards = sum(1 for row in every_row(erp, "skladova-karta") if code(row, "ucetObdobi") == "2026")
    assert sum(outcome.rows_read or 0 for outcome in outcomes.values()) == cards  # last year's cards not read
    assert all(outcome.volume_guard for outcome in outcomes.values())


def test_stock_below_its_minimum_and_above_its_maximum_ignore_a_limit_of_zero(
    connection: Connection, erp: FlexiServer
) -> None:
    below = stock_offenders(erp, lambda r: number(r, "minMJ") > 0 and number(r, "stavMJ") < number(r, "minMJ"))
    above = stock_offenders(erp, lambda r: number(r, "maxMJ") > 0 and number(r, "stavMJ") > number(r, "maxMJ"))

    assert found(run(shipped("stock.below_minimum"), connection)) == below and any(below.values())
    assert found(run(shipped("stock.above_maximum"), connection)) == above and any(above.values())


def test_product_cards_without_a_goods_group_are_found(connection: Connection, erp: FlexiServer) -> None:
    cards = every_row(erp, "cenik")
    expected = [row["kod"] for row in cards if row["skladove"] == "true" and not row.get("skupZboz")]

    assert found(run(shipped("product.no_goods_group"), connection)) == {WHOLE_EVIDENCE: expected} and expected


def test_product_types_that_contradict_their_goods_group_are_found(connection: Connection, erp: FlexiServer) -> None:
    expect = {"MATERIAL": "material", "POLOTOVAR": "polotovar", "VYROBEK": "vyrobek", "ZBOZI": "zbozi"}
    cards = every_row(erp, "cenik")
    expected = [
        row["kod"]
        for row in cards
        if row.get("skupZboz") and row["typZasobyK"] != "typZasoby." + expect[code(row, "skupZboz")]
    ]

    assert found(run(shipped("product.type_contradicts_group"), connection)) == {WHOLE_EVIDENCE: expected}
    assert expected


def test_issued_invoices_overdue_unpaid_and_not_cancelled_are_found(connection: Connection, erp: FlexiServer) -> None:
    invoices = every_row(erp, "faktura-vydana")
    expected = [
        row["kod"]
        for row in invoices
        if date.fromisoformat(row["datSplat"][:10]) < TODAY
        and number(row, "zbyvaUhradit") > 0
        and row["storno"] != "true"
    ]

    outcome = run(shipped("invoice.overdue_unpaid"), connection)[WHOLE_EVIDENCE]
    assert [v.product_code for v in outcome.violations] == expected and len(expected) >= 3
    assert not outcome.volume_guard  # only offenders are read: a small read says nothing about the volume
    assert outcome.violations[0].text.startswith(f"{expected[0]} (") and "CZK, due " in outcome.violations[0].text


def test_a_definition_of_one_warehouse_reads_only_it_with_the_legacy_message(
    connection: Connection, erp: FlexiServer
) -> None:
    outcomes = run(parse(NEGATIVE, local_fields), connection)

    assert list(outcomes) == ["ZBOZI"]
    rows = [
        row
        for row in every_row(erp, "skladova-karta", "sklad", "cenik")
        if code(row, "sklad") == "ZBOZI" and code(row, "ucetObdobi") == "2026" and number(row, "stavMJ") < 0
    ]
    legacy = ", ".join(f"{code(row, 'cenik')} ({number(row, 'stavMJ'):g}ks)" for row in rows)
    assert outcomes["ZBOZI"].message == legacy and "ks" in legacy


def test_a_run_limited_to_warehouses_reads_those_and_refuses_unknown_ones(connection: Connection) -> None:
    assert list(run(shipped("stock.negative"), connection, warehouses=("MATERIAL",))) == ["MATERIAL"]
    with pytest.raises(ValidationError, match="unknown scope"):
        run(shipped("stock.negative"), connection, warehouses=("NOWHERE",))


def test_a_row_the_predicate_cannot_judge_makes_its_scope_incomplete_never_a_pass(connection: Connection) -> None:
    check = DefinedCheck(parse(NEGATIVE, local_fields), 1)
    [scope] = check.plan(connection, CheckContext(uuid.uuid4(), "job", NOW, connection=connection))
    good = {"id": "1", "cenik": "code:A", "stavMJ": "3"}
    bad = [{"id": str(n), "cenik": "code:B", "stavMJ": value} for n, value in ((2, "NaN"), (3, "abc"), (4, []))]
    nameless = {"id": "5", "cenik": "", "stavMJ": "NaN"}

    outcome = scope.evaluate([good, *bad, nameless])

    assert outcome.status == OutcomeStatus.ERROR and outcome.violations == ()
    assert "4 of 5 rows could not be judged" in outcome.error and "(B: field stavMJ is 'NaN'" in outcome.error
    assert "row id 5: field stavMJ is 'NaN'" not in outcome.error  # three examples at most
    assert scope.named(nameless) == "row id 5"  # no product code to name it by


def test_wrong_credentials_fail_the_run_after_one_request(connection: Connection, erp: FlexiServer) -> None:
    erp.set_faults(status=401)
    with pytest.raises(ErpAuthError, match="rejected the credentials"):
        run(shipped("stock.negative"), connection)  # the period is read first: one request, refused
    assert erp.state.requests == 1


def test_a_scope_value_cannot_change_the_shape_of_the_filter() -> None:
    assert reads.literal("code:Z' or kod is not null or kod = 'x") == "'code:Z\\' or kod is not null or kod = \\'x'"
    assert reads.literal(date(2026, 3, 2)) == "'2026-03-02'" and reads.literal(2.5) == "2.5"


def test_a_related_records_field_named_only_in_the_predicate_is_asked_for_and_judged(
    connection: Connection, erp: FlexiServer
) -> None:
    definition = parse(
        {**NEGATIVE, "predicate": "cenik.typZasobyK == 'typZasoby.vyrobek'", "filter": "ucetObdobi = ${period}"},
        local_fields,
    )
    rows = every_row(erp, "skladova-karta", "sklad", "cenik")
    expected = [
        code(row, "cenik")
        for row in rows
        if code(row, "sklad") == "ZBOZI"
        and code(row, "ucetObdobi") == "2026"
        and row["cenik"][0]["typZasobyK"] == "typZasoby.vyrobek"
    ]
    assert found(run(definition, connection)) == {"ZBOZI": expected} and expected


def test_a_warehouse_the_catalog_does_not_know_fails_the_run_instead_of_reading_nothing(
    connection: Connection,
) -> None:
    definition = parse({**NEGATIVE, "scope": {"field": "sklad", "values": ["ZBOZI", "ZBOZII"]}}, local_fields)
    with pytest.raises(ValidationError, match="ZBOZII are not in the catalog"):
        run(definition, connection)


def test_an_offenders_only_read_asks_the_erp_for_its_warehouses_so_one_gone_since_the_catalog_is_no_pass(
    connection: Connection, erp: FlexiServer
) -> None:
    """ZBOZI is in the catalog read an hour ago, then gone from the ERP (renamed): a filter on it would read 0 rows
    and pass with no volume guard. Shown failing with ``fresh`` left False for offenders-only reads, with the ERP
    asked on every check, and with a failed read of the warehouses left a CatalogRefreshError."""
    from dataclasses import replace

    from compliance_monitor.erp import catalog

    catalog.refresh(connection, now=NOW.replace(hour=8))
    company = erp.state.company
    erp.state.company = replace(company, warehouses=tuple(w for w in company.warehouses if w.code != "ZBOZI"))
    offenders = parse({**NEGATIVE, "read": "offenders"}, local_fields)
    every = parse({**NEGATIVE, "read": "offenders", "scope": {"field": "sklad", "values": "all"}}, local_fields)

    with pytest.raises(ValidationError, match="ZBOZI are not in the catalog"):
        run(offenders, connection)
    assert "ZBOZI" not in run(every, connection)  # no result: its open alert is left as it was
    assert catalog.catalog_of(connection).refreshed_at == NOW  # type: ignore[union-attr]
    erp.state.company = replace(company, warehouses=tuple(w for w in company.warehouses if w.code != "MATERIAL"))

    def at(now: datetime) -> dict[str, CheckOutcome]:
        context = CheckContext(uuid.uuid4(), "job", now, connection=connection)
        return {outcome.warehouse: outcome for outcome in DefinedCheck(every, 1).run(context)}

    assert "MATERIAL" in at(NOW + timedelta(seconds=50))  # another check of the run, a change run: asked a minute ago
    assert "MATERIAL" not in at(NOW + timedelta(seconds=70))
    erp.state.faults = server.Faults(status=500, every=2, remaining=1)  # the period is read, then the warehouses fail
    with pytest.raises(ErpError, match="cannot read the warehouses of connection 'default'"):
        at(NOW + timedelta(minutes=5))


def test_the_filter_sent_keeps_its_shape_whatever_the_scope_code_holds() -> None:
    from compliance_monitor.checks.defined import _filter
    from compliance_monitor.erp import filters

    definition = parse(NEGATIVE, local_fields)
    hostile = "Z' or kod is not null or kod = 'x"
    sent = filters.parse(_filter(definition, hostile, {"period": "code:2026"}))
    card = {"ucetObdobi": "code:2026", "kod": "A"}  # relations as the local server's rows hold them
    assert sent.matches({**card, "sklad": f"code:{hostile}"})
    assert not sent.matches({**card, "sklad": "code:ZBOZI"})  # "or kod is not null" did not escape
