"""Which changes in the ERP can affect a check, and which of its scopes (issue 13: re-check within seconds).

A check definition declares the evidences whose changes re-run it (``triggers``); without, the defaults below:
the evidence it reads plus the documents behind it — stock movements and their lines for stock rules, product
cards for product-card rules, payments for invoice rules. A change narrows the re-check to one scope only when
the definition is scoped by warehouse and the change says which warehouse (a stock movement line's ``sklad``);
otherwise — a product card, a deleted or unreadable record — every scope of the check is re-checked.
"""

from __future__ import annotations

from compliance_monitor.checks.base import Check

STOCK_MOVES = ("skladovy-pohyb", "skladovy-pohyb-polozka", "skladova-karta", "cenik")
DEFAULT_TRIGGERS: dict[str, tuple[str, ...]] = {
    "stav-skladu-k-datu": STOCK_MOVES,
    "skladova-karta": STOCK_MOVES,
    "cenik": ("cenik", "skupina-zbozi"),
    "faktura-vydana": ("faktura-vydana", "banka", "pokladni-pohyb", "vzajemny-zapocet"),
}
WAREHOUSE = "sklad"
ALL_SCOPES = "*"


def trigger_evidences(check: Check) -> frozenset[str]:
    """The evidences whose changes can affect ``check``; none for a check in code (it is not data-driven)."""
    definition = getattr(check, "definition", None)
    if definition is None:
        return frozenset()
    return frozenset(definition.triggers or DEFAULT_TRIGGERS.get(definition.evidence, (definition.evidence,)))


def affected_scope(check: Check, evidence: str, warehouse: str | None) -> str | None:
    """The scope a change re-checks: a warehouse code, :data:`ALL_SCOPES`, or None when it cannot affect the check."""
    if evidence not in trigger_evidences(check):
        return None
    scope = check.definition.scope  # type: ignore[attr-defined]
    if warehouse and scope is not None and scope.field == WAREHOUSE and evidence != "cenik":
        return warehouse
    return ALL_SCOPES
