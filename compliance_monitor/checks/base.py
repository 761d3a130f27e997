"""The contract between the job engine and a compliance check.

A check is an object with a ``name`` and ``run(context) -> list[CheckOutcome]``: one outcome (a
"report") per scope — a warehouse — it evaluated. A scope's read is *complete* (read whole, every row
evaluated: passed or violated) or *incomplete* (``error`` says why). An incomplete scope never passes:
the run fails, its alerts stay as they are, and the complete scopes still count. Raising means the
whole run failed — a check never hides an error behind a passing outcome.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

if TYPE_CHECKING:
    from compliance_monitor.erp.models import Connection


WHOLE_EVIDENCE = "*"  # the scope of a check definition read whole, without scopes (e.g. every issued invoice)


class OutcomeStatus(StrEnum):
    PASSED = "passed"
    VIOLATED = "violated"
    ERROR = "error"  # the scope could not be read whole; the run fails, its alerts stay as they are


class _NoDetail(dict[str, Any]):
    """The empty detail of every violation without one, shared: a run may build a hundred thousand, and as many
    empty dicts cost a tenth of judging their rows (bench/checks_as_data.py). Read-only, so that sharing it is
    safe; equal to ``{}``, stored and serialised as one."""

    def _read_only(self, *_: Any, **__: Any) -> NoReturn:
        raise TypeError("a violation's detail is read-only: build a new one (dataclasses.replace)")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _read_only


NO_DETAIL: dict[str, Any] = _NoDetail()


@dataclass(slots=True)
class Violation:
    """One offending row. Treated as immutable like the rest of an outcome (``dataclasses.replace`` makes a changed
    copy) but not frozen: a run may build a hundred thousand, and a frozen dataclass's ``__init__`` costs four times
    as much (bench/checks_as_data.py)."""

    warehouse: str
    product_code: str
    product_name: str = ""
    goods_group: str = ""
    quantity: float = 0.0
    unit: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # a check definition's message for this violation; blank: the legacy format

    def legacy_text(self) -> str:
        """The original report's offender format: ``PROD001 (5ks)`` (or the definition's own message)."""
        if self.text:
            return self.text
        quantity = f"{self.quantity:g}"
        return f"{self.product_code} ({quantity}{self.unit or 'ks'})"


@dataclass(frozen=True)
class CheckOutcome:
    check: str
    warehouse: str
    violations: tuple[Violation, ...] = ()
    report_name: str = ""
    error: str = ""
    rows_read: int | None = None  # rows evaluated in a complete read; None when not counted
    volume_guard: bool = False  # the read covers the whole scope, so a collapse of rows_read is suspect
    rows_label: str = "rows"  # what a row is, for people: "stock rows"
    connection: str = ""  # the ERP connection read, by name (stamped by the runner)
    version: int | None = None  # the check definition's version that ran; None for built-in checks
    title: str = ""  # the definition's title (alerts say it)
    thresholds: tuple[int, int, int] | None = None  # severity above these counts: critical, high, medium
    accepted: tuple[dict[str, Any], ...] = ()  # violations an accepted exception set aside (checks/exceptions.py)

    @property
    def status(self) -> OutcomeStatus:
        if self.error:
            return OutcomeStatus.ERROR
        return OutcomeStatus.VIOLATED if self.violations else OutcomeStatus.PASSED

    @property
    def is_success(self) -> bool:
        return self.status == OutcomeStatus.PASSED

    @property
    def message(self) -> str:
        """The legacy report message: offenders joined by ``", "``; empty when passing."""
        return ", ".join(v.legacy_text() for v in self.violations)


def finite_or_incomplete(outcome: CheckOutcome) -> CheckOutcome:
    """The last guard before the database: a violation with a non-finite quantity makes its scope incomplete."""
    bad = next((v for v in outcome.violations if not math.isfinite(v.quantity)), None)
    if bad is None:
        return outcome
    error = f"{outcome.warehouse}: product {bad.product_code}: quantity {bad.quantity!r} is not a finite number"
    return replace(outcome, violations=(), error=error, rows_read=None)


@dataclass(frozen=True)
class CheckContext:
    execution_id: uuid.UUID
    job_name: str
    now: datetime
    parameters: dict[str, Any] = field(default_factory=dict)
    warehouses: tuple[str, ...] = ()  # empty = every warehouse the check knows
    connection: Connection | None = None  # the ERP company to read (the job's); None: the installation's default
    skip_unknown_scopes: bool = False  # a change run: a changed warehouse this check does not read is not an error

    def erp(self) -> Connection:
        from compliance_monitor.erp.connections import implied_connection

        return self.connection if self.connection is not None else implied_connection()


PARTIAL_OUTCOMES = "compliance_partial_outcomes"


def attach_outcomes(exc: BaseException, outcomes: list[CheckOutcome]) -> BaseException:
    """Let a failing run keep what was found before the failure (and which warehouse failed)."""
    setattr(exc, PARTIAL_OUTCOMES, [*outcomes, *partial_outcomes(exc)])
    return exc


def partial_outcomes(exc: BaseException) -> list[CheckOutcome]:
    return list(getattr(exc, PARTIAL_OUTCOMES, []))


class Check(Protocol):
    @property
    def name(self) -> str: ...

    def run(self, context: CheckContext) -> list[CheckOutcome]: ...
