"""The culprit of a change run's violation: the stock document line that booked the product where it was found.

A change run knows the changes that caused it (``execution.context["changes"]``: each with the record's warehouse,
product, document, date and user, and a link into the ERP's web interface, as erp/change_feed.py read them). A
violation of the same product in the same warehouse names that line in its ``detail["culprit"]`` — stored with
the run's evidence, shown on the run page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from compliance_monitor.checks.base import CheckOutcome, Violation

CULPRIT_FIELDS = ("document", "date", "user", "quantity", "link", "evidence", "record", "version")


def blame(outcomes: Iterable[CheckOutcome], causes: Iterable[Mapping[str, Any]]) -> list[CheckOutcome]:
    lines = _by_place(causes)
    if not lines:
        return list(outcomes)
    return [_blamed(outcome, lines) for outcome in outcomes]


def _by_place(causes: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(warehouse, product) → the latest line booking it."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for cause in causes:
        if cause.get("product"):
            culprit = {key: cause[key] for key in CULPRIT_FIELDS if cause.get(key) not in (None, "")}
            found[(str(cause.get("warehouse", "")), str(cause["product"]))] = culprit
    return found


def _blamed(outcome: CheckOutcome, lines: dict[tuple[str, str], dict[str, Any]]) -> CheckOutcome:
    if not outcome.violations:
        return outcome
    violations = tuple(_violation(v, outcome.warehouse, lines) for v in outcome.violations)
    return replace(outcome, violations=violations)


def _violation(violation: Violation, scope: str, lines: dict[tuple[str, str], dict[str, Any]]) -> Violation:
    culprit = lines.get((scope, violation.product_code)) or lines.get((violation.warehouse, violation.product_code))
    if culprit is None:
        return violation
    return replace(violation, detail={**violation.detail, "culprit": culprit})
