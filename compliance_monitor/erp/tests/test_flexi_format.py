from __future__ import annotations

import re

import pytest

from compliance_monitor.erp import flexi


def test_relations_read_from_expanded_objects_code_strings_and_ids() -> None:
    assert flexi.relation([{"id": 3, "kod": "MATERIAL"}]) == {"id": "3", "kod": "MATERIAL"}
    assert flexi.relation("code:MATERIAL") == {"kod": "MATERIAL"}
    assert flexi.relation("17") == {"id": "17"}
    assert flexi.relation("") == flexi.relation([]) == flexi.relation(None) == {}


def test_a_row_without_a_goods_group_has_none() -> None:
    row = flexi.stock_row({"cenik": "code:P1", "skupZboz": "", "stavMJ": "2.0", "mj1": "code:KG"})
    assert not row.has_group and (row.product_code, row.quantity, row.unit) == ("P1", 2.0, "kg")


def test_a_row_reads_expanded_relations_with_native_values() -> None:
    row = flexi.stock_row(
        {
            "cenik": [{"kod": "P2", "nazev": "Bolt", "typZasobyK": "typZasoby.material"}],
            "skupZboz": [{"id": 3, "kod": "MATERIAL"}],
            "stavMJ": 4,
            "mj1": [{"kod": "KS"}],
        }
    )
    assert (row.product_code, row.group_id, row.group_code, row.quantity, row.unit) == (
        "P2",
        "3",
        "MATERIAL",
        4.0,
        "ks",
    )


@pytest.mark.parametrize(
    ("winstrom", "message"),
    [
        ({"success": "false", "message": "Neplatné přihlášení"}, "Neplatné přihlášení"),
        ({"success": "false", "results": [{"errors": [{"message": "Chyba", "for": "datum"}]}]}, "Chyba (datum)"),
    ],
)
def test_both_error_shapes_carry_the_servers_message(winstrom: dict, message: str) -> None:
    with pytest.raises(flexi.ErpResponseError, match=re.escape(message)):
        flexi.envelope({"winstrom": winstrom}, "sklad")


def test_a_body_without_the_envelope_is_malformed() -> None:
    with pytest.raises(flexi.ErpMalformedResponseError, match="no 'winstrom' envelope"):
        flexi.envelope([1, 2], "sklad")
