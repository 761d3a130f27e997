"""Diagnostic checks that prove the job engine: they pass, fail, sleep, or refuse to die.

Registered only when ``CM_DIAGNOSTIC_CHECKS`` is on (the test suite and benchmarks), never by default.
"""

from __future__ import annotations

import contextlib
import signal
import time
from dataclasses import dataclass

from compliance_monitor.checks.base import CheckContext, CheckOutcome, Violation

WAREHOUSE = "DIAG"


class DiagnosticFailure(RuntimeError):
    """Raised on purpose by ``diagnostics.fail``."""


def _warehouses(context: CheckContext) -> tuple[str, ...]:
    return context.warehouses or (WAREHOUSE,)


@dataclass(frozen=True)
class Passing:
    name: str = "diagnostics.pass"

    def run(self, context: CheckContext) -> list[CheckOutcome]:
        return [CheckOutcome(self.name, warehouse) for warehouse in _warehouses(context)]


@dataclass(frozen=True)
class Failing:
    name: str = "diagnostics.fail"

    def run(self, context: CheckContext) -> list[CheckOutcome]:
        raise DiagnosticFailure(str(context.parameters.get("message", "diagnostic check failed on purpose")))


@dataclass(frozen=True)
class Sleeping:
    """Sleeps ``parameters["seconds"]`` (default 1), then passes."""

    name: str = "diagnostics.sleep"

    def run(self, context: CheckContext) -> list[CheckOutcome]:
        time.sleep(float(context.parameters.get("seconds", 1)))
        return [CheckOutcome(self.name, warehouse) for warehouse in _warehouses(context)]


@dataclass(frozen=True)
class Violating:
    """Finds ``parameters["count"]`` (default 3) violations in every warehouse."""

    name: str = "diagnostics.violations"

    def run(self, context: CheckContext) -> list[CheckOutcome]:
        count = int(context.parameters.get("count", 3))
        return [
            CheckOutcome(
                self.name,
                warehouse,
                tuple(Violation(warehouse, f"PROD{i:03d}", quantity=i, unit="ks") for i in range(1, count + 1)),
            )
            for warehouse in _warehouses(context)
        ]


@dataclass(frozen=True)
class Hostile:
    """A runaway: ignores SIGTERM and swallows every exception, the soft time limit included.

    Only the hard time limit (SIGKILL from the pool) can stop it.
    """

    name: str = "diagnostics.hostile"

    def run(self, context: CheckContext) -> list[CheckOutcome]:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            with contextlib.suppress(BaseException):  # hostile on purpose: even SystemExit is swallowed
                time.sleep(0.05)


ALL = (Passing(), Failing(), Sleeping(), Violating(), Hostile())
