"""Running a check definition (``checks/definition.py``): the rows its filter selects, judged by its predicate.

One outcome per scope (a warehouse, or ``*`` for a definition without scopes), read concurrently within the
connection's request slots like the warehouse check (``checks/concurrent.py``). A scope is complete only when every
row was read and judged: a row the predicate cannot judge (``NaN`` in a numeric field, a text that is no date) makes
the scope incomplete — its count and first examples in the error — so a definition never passes data it did not
understand. The predicate, the accessors and the message are compiled once per scope before any row is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import structlog
from django.core.exceptions import ValidationError

from compliance_monitor.checks import concurrent, warehouse
from compliance_monitor.checks import offenders as offenders_
from compliance_monitor.checks.base import NO_DETAIL, WHOLE_EVIDENCE, CheckContext, CheckOutcome, Violation
from compliance_monitor.checks.columns import Column
from compliance_monitor.checks.definition import PLACEHOLDER, SCOPE_ALL_FIELD, TEMPLATE_FIELD, Definition
from compliance_monitor.checks.models import ClassifyBy
from compliance_monitor.checks.offenders import text_of as _text
from compliance_monitor.checks.predicate import FieldType, PredicateError, RowError, Value
from compliance_monitor.erp import catalog, properties, reads, sources
from compliance_monitor.erp.connections import implied_connection
from compliance_monitor.erp.flexi import ErpAuthError, ErpError, ErpRowCountChangedError
from compliance_monitor.erp.models import Connection

log = structlog.get_logger(__name__)
MAX_EXAMPLES = 3
PERIODS = "ucetni-obdobi"


@dataclass(frozen=True)
class ScopePlan:
    """One scope to read: its code (results and alerts name it), what to ask the ERP for (a warehouse rule's id when
    known), and, for a warehouse rule, its original report's name and its own placeholders."""

    code: str
    query: str = ""
    report_name: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    rule: bool = False  # a warehouse rule's scope (its alerts say "3 misplaced products in warehouse X")


@dataclass
class Verdict:
    """What one page's rows came to: how many, the violations, and the rows that could not be judged."""

    count: int = 0
    violations: list[Violation] = field(default_factory=list)
    bad: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScopeRead:
    """One scope's read, compiled: what to ask the ERP and how to judge and describe each row."""

    outcome: CheckOutcome  # the scope's empty outcome: check, scope, version, title, thresholds
    request: reads.RowRequest
    test: Value
    select: Callable[[Sequence[Mapping[str, Any]]], list[Any]]  # a page's offenders, at once
    identity: tuple[Value, ...]
    label: Value | None
    quantity: Value | None
    unit: Value | None
    group: Value | None
    message: tuple[str, tuple[Value, ...]] | None  # a format ("{} ({} < {})") and its values; None: "CODE (5ks)"
    detail: tuple[tuple[str, Value], ...]
    whole: bool
    columns: Mapping[Value, Column]  # the page column of each accessor above that has one (checks/offenders.py)

    def incomplete(self, problem: str) -> CheckOutcome:
        return replace(self.outcome, error=f"{self.outcome.warehouse}: {problem}")

    def evaluate(self, rows: Iterable[dict[str, Any]]) -> CheckOutcome:
        """Every row judged; the scope's outcome."""
        return self.evaluate_pages([list(rows)])

    def evaluate_pages(self, pages: Iterable[list[dict[str, Any]]]) -> CheckOutcome:
        """Every page's rows judged; the scope's outcome."""
        return self.conclude(map(self.judge, pages))

    def judge(self, page: list[dict[str, Any]]) -> Verdict:
        """One page's verdict (a reading thread may make it: no database, nothing shared): the predicate over the
        whole page at once (``checks/columns.py``), or row by row when the page holds a value only the row closures
        decide (an empty number, a text that is no number: they say whether it is a data error)."""
        try:
            offenders = self.select(page)
        except Exception:  # noqa: BLE001 — an unusual value, not an error: the row closures judge the page
            return self.judge_rows(page)
        verdict = Verdict(count=len(page))
        try:
            verdict.violations = offenders_.violations(self, self.outcome.warehouse, offenders)
        except Exception:  # noqa: BLE001 — one could not be described: row by row, each such row named
            for row in offenders:
                self.found(verdict, row)
        return verdict

    def judge_rows(self, page: list[dict[str, Any]]) -> Verdict:
        verdict = Verdict(count=len(page))
        test = self.test
        for row in page:
            try:
                offends = test(row)
            except RowError as exc:
                self.unjudged(verdict, row, exc)
            else:
                if offends:
                    self.found(verdict, row)
        return verdict

    def found(self, verdict: Verdict, row: dict[str, Any]) -> None:
        try:
            verdict.violations.append(self.violation(row))
        except RowError as exc:
            self.unjudged(verdict, row, exc)

    def unjudged(self, verdict: Verdict, row: dict[str, Any], problem: RowError) -> None:
        verdict.bad += 1
        if len(verdict.examples) < MAX_EXAMPLES:
            verdict.examples.append(f"{self.named(row)}: {problem}")

    def conclude(self, verdicts: Iterable[Verdict]) -> CheckOutcome:
        """The pages' verdicts, in order: complete, or incomplete when a row could not be judged."""
        violations: list[Violation] = []
        examples: list[str] = []
        bad = count = 0
        for verdict in verdicts:
            violations += verdict.violations
            examples += verdict.examples[: MAX_EXAMPLES - len(examples)]
            bad, count = bad + verdict.bad, count + verdict.count
        if bad:
            return self.incomplete(f"{bad} of {count} rows could not be judged ({'; '.join(examples)})")
        return replace(self.outcome, violations=tuple(violations), rows_read=count, volume_guard=self.whole)

    def named(self, row: dict[str, Any]) -> str:
        """A row for people: its identity (the product code) when readable, else its id."""
        try:
            codes = "/".join(_text(value(row)) for value in self.identity)
        except RowError:
            codes = ""
        return codes[:60] if codes.strip("/") else f"row id {str(row.get('id'))[:20]}"

    def violation(self, row: dict[str, Any]) -> Violation:
        """One row's violation (the row-by-row path: a page's offenders are built at once by checks/offenders.py)."""
        codes = [_text(value(row)) for value in self.identity]
        if not all(codes):
            raise RowError("an identity field is empty: the violation could not be told apart from others")
        quantity = self.quantity(row) if self.quantity is not None else 0.0
        return Violation(
            warehouse=self.outcome.warehouse,
            product_code="/".join(codes)[:100],
            product_name=_text(self.label(row))[:300] if self.label is not None else "",
            goods_group=_text(self.group(row))[:100] if self.group is not None else "",
            quantity=float(quantity or 0.0),
            unit=(_text(self.unit(row)).lower() or "ks")[:20] if self.unit is not None else "",
            detail={path: _text(value(row))[:200] for path, value in self.detail} if self.detail else NO_DETAIL,
            text=self.text(row),
        )

    def text(self, row: dict[str, Any]) -> str:
        """The definition's message for this row; "" for the original reports' format (``Violation.legacy_text``)."""
        if self.message is None:
            return ""
        template, values = self.message
        return template.format(*[_text(value(row)) for value in values])[:500]


class DefinedCheck:
    """A :class:`Definition` at one version, as the job engine's :class:`~compliance_monitor.checks.base.Check`."""

    def __init__(self, definition: Definition, version: int) -> None:
        self.definition, self.version = definition, version

    @property
    def name(self) -> str:
        return self.definition.name

    def known_warehouses(self, connection: Connection | None) -> list[str] | None:
        """The scopes a run may be limited to, when the definition names them (codes, or its warehouse rules' codes
        and ids); None when only a run can tell (every warehouse of the catalog)."""
        scope = self.definition.scope
        if scope is None or not (scope.rules or scope.values):
            return None
        if not scope.rules:
            return list(scope.values)
        rules = warehouse.active_rules(connection or implied_connection())
        return [rule.warehouse for rule in rules] + [rule.query for rule in rules]

    def run(self, context: CheckContext) -> list[CheckOutcome]:
        connection = context.erp()
        scopes = self.plan(connection, context)
        reader = concurrent.ConcurrentRead(
            scopes,
            read=read_scope,
            open_source=lambda: sources.open_source(connection, context.now),
            slots=concurrent.slots_for(connection),
        )
        return reader.run()

    def plan(self, connection: Connection, context: CheckContext) -> list[ScopeRead]:
        """Every scope's read, compiled; a definition that does not fit the ERP fails the run, saying why."""
        definition = self.definition
        if not definition.enabled:
            raise ValidationError(f"check {definition.name!r} is disabled: enable it, or take it off the job")
        if definition.connections and connection.name not in definition.connections:
            raise ValidationError(
                f"check {definition.name!r} is meant for connection(s) {', '.join(definition.connections)}, "
                f"not {connection.name!r}"
            )
        fields = properties.fields_of(connection, definition.evidence, now=context.now)
        values = self.values(connection, context)
        return [self.scope_read(plan, fields, values) for plan in scope_plans(definition, connection, context)]

    def values(self, connection: Connection, context: CheckContext) -> dict[str, Any]:
        """The placeholders' values: the definition's parameters (a job's parameters of the same name win), the
        run's date, and the current accounting period when the definition uses it."""
        definition = self.definition
        on = warehouse.run_date(context)
        values = {
            **definition.parameters,
            **{k: v for k, v in context.parameters.items() if k in definition.parameters},
        }
        values["today"] = on
        uses = PLACEHOLDER.findall(" ".join([definition.filter, definition.predicate, *definition.request.values()]))
        if "period" in uses:
            values["period"] = current_period(connection, context, on)
        return values

    def scope_read(self, plan: ScopePlan, fields: Mapping[str, FieldType], values: dict[str, Any]) -> ScopeRead:
        definition = self.definition
        code = plan.code
        values = {**values, **plan.values, "scope": "" if code == WHOLE_EVIDENCE else code}
        try:
            test = definition.compile(fields, values)
        except PredicateError as exc:
            raise ValidationError(f"check {definition.name!r}: predicate: {exc}") from None
        detail, includes = reads.detail_for(definition.evidence, [*sorted(test.fields), *definition.paths()])
        request = reads.RowRequest(
            definition.evidence, _filter(definition, code, values), detail, includes, _params(definition, plan, values)
        )
        outcome = CheckOutcome(
            definition.name,
            code,
            report_name=plan.report_name,
            rows_label=reads.rows_label(definition.evidence),
            version=self.version,
            title="" if plan.rule else definition.title_in(),  # a rule's result: the original reports' alert title
            thresholds=(definition.thresholds.critical, definition.thresholds.high, definition.thresholds.medium),
        )
        read = offenders_.Accessors(fields)
        return ScopeRead(
            outcome,
            request,
            test.test,
            test.select,
            tuple(read(path) for path in definition.identity),
            read(definition.label) if definition.label else None,
            read(definition.quantity) if definition.quantity else None,
            read(definition.unit) if definition.unit else None,
            read(definition.group) if definition.group else None,
            _message(definition, read),
            tuple((path, read(path)) for path in definition.detail),
            definition.read == "whole",
            read.columns,
        )


def scope_plans(definition: Definition, connection: Connection, context: CheckContext) -> list[ScopePlan]:
    """The scopes to read: the connection's warehouse rules (``values: rules``), or :func:`scope_codes`."""
    if definition.scope is not None and definition.scope.rules:
        rules = warehouse.active_rules(connection, context.warehouses, strict=not context.skip_unknown_scopes)
        return [rule_plan(rule) for rule in rules]
    return [ScopePlan(code, code) for code in scope_codes(definition, connection, context)]


def rule_plan(rule: warehouse.Rule) -> ScopePlan:
    by_type = rule.classify_by == ClassifyBy.PRODUCT_TYPE
    values = {"allowed": sorted(rule.allowed), "by_type": by_type}
    return ScopePlan(rule.warehouse, rule.query, rule.report_name, values, rule=True)


def scope_codes(definition: Definition, connection: Connection, context: CheckContext) -> list[str]:
    """The scopes to read: the definition's codes, or every warehouse of the connection's catalog; limited to the
    run's warehouses when it names some (an unknown one is an error). No scopes: the whole evidence, one result."""
    if definition.scope is None:
        return [WHOLE_EVIDENCE]
    # An offenders-only read of a warehouse gone from the ERP reads 0 rows — "clean" with no volume guard to doubt
    # it: such a check asks the ERP for its warehouses (once a minute at most) instead of trusting an old catalog.
    fresh = definition.read != "whole" and definition.scope.field == SCOPE_ALL_FIELD and not connection.is_demo
    codes = list(definition.scope.values) or _catalog_codes(connection, context, fresh=fresh)
    if definition.scope.values and definition.scope.field == SCOPE_ALL_FIELD:  # a warehouse not there reads 0 rows
        missing = set(codes) - set(_catalog_codes(connection, context, fresh=fresh))
        if missing:
            hint = "the ERP no longer lists them" if fresh else "refresh it on the connection's page if they are new"
            raise ValidationError(
                f"check {definition.name!r}: warehouse(s) {', '.join(sorted(missing))} are not in the catalog of "
                f"connection {connection.name!r} ({hint})"
            )
    wanted = set(context.warehouses)
    if not wanted:
        return codes
    unknown = wanted - set(codes)
    if unknown and not context.skip_unknown_scopes:
        raise ValidationError(
            f"unknown scope(s) {', '.join(sorted(unknown))}; {definition.name} has: {', '.join(codes)}"
        )
    return [code for code in codes if code in wanted]


def current_period(connection: Connection, context: CheckContext, on: date) -> str:
    """The accounting period holding ``on`` (``ucetni-obdobi``) as a relation reference, ``code:2026``."""
    between = f"platiOdData <= {reads.literal(on)} and platiDoData >= {reads.literal(on)}"
    source = sources.open_source(connection, context.now)
    try:
        rows = list(source.rows(reads.RowRequest(PERIODS, between, "custom:id,kod")))
    finally:
        source.close()
    if len(rows) != 1 or not rows[0].get("kod"):
        raise ErpError(f"the ERP has {len(rows)} accounting periods (ucetni-obdobi) holding {on}, not one")
    return f"code:{rows[0]['kod']}"  # a relation reference: ucetObdobi = 'code:2026'


def read_scope(scope: ScopeRead, source: sources.StockSource) -> CheckOutcome:
    """Evaluate one scope, complete or incomplete; a row count that changed mid-read is read once more. Wrong
    credentials raise (every scope would fail alike). Runs in a reading thread: no database here."""
    for attempt in (1, 2):
        try:
            return scope.evaluate_pages(source.row_pages(scope.request))
        except ErpRowCountChangedError as exc:
            if attempt == 2:
                return scope.incomplete(f"{exc}, twice")
            log.info("scope_reread", scope=scope.outcome.warehouse, problem=str(exc))
        except ErpAuthError:
            raise
        except ErpError as exc:
            return scope.incomplete(str(exc))
    raise AssertionError("unreachable")  # pragma: no cover


def _filter(definition: Definition, code: str, values: dict[str, Any]) -> str:
    """The definition's filter with its placeholders as quoted literals, and the scope's own condition."""
    parts = (
        [PLACEHOLDER.sub(lambda m: reads.literal(values[m.group(1)]), definition.filter)] if definition.filter else []
    )
    if definition.scope is not None and not definition.scope.parameter:
        parts.append(f"{definition.scope.field} = {reads.literal('code:' + code)}")
    return " and ".join(f"({part})" for part in parts) if len(parts) > 1 else "".join(parts)


def _params(definition: Definition, plan: ScopePlan, values: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """More query parameters: the definition's ``request`` (placeholders as plain text) and a scope sent as one
    (``sklad=5`` for a rule's known id, else ``sklad=code:X``)."""
    found = [
        (name, PLACEHOLDER.sub(lambda m: _plain(values[m.group(1)]), text)) for name, text in definition.request.items()
    ]
    if definition.scope is not None and definition.scope.parameter:
        query = plan.query or plan.code
        found.append((definition.scope.field, query if query.isdigit() else f"code:{query}"))
    return tuple(found)


def _plain(value: Any) -> str:
    return ",".join(map(_plain, value)) if isinstance(value, list | tuple) else _text(value)


def _message(definition: Definition, read: Callable[[str], Value]) -> tuple[str, tuple[Value, ...]] | None:
    """The message template as a ``str.format`` pattern of positional fields and their values, read in order."""
    if not definition.message and definition.quantity:
        return None  # the original reports' format, "CODE (5ks)" (Violation.legacy_text)
    template = definition.message or " / ".join("{" + path + "}" for path in definition.identity)
    pattern, values, at = [], [], 0
    for match in TEMPLATE_FIELD.finditer(template):
        pattern += [_literal(template[at : match.start()]), "{}"]
        values.append(read(match.group(1)))
        at = match.end()
    pattern.append(_literal(template[at:]))
    return "".join(pattern), tuple(values)


def _literal(text: str) -> str:
    """Literal text of a template ("{{" and "}}" are braces; a lone brace is itself), escaped for ``str.format``."""
    return text.replace("{{", "{").replace("}}", "}").replace("{", "{{").replace("}", "}}")


FRESH_CATALOG = timedelta(minutes=1)


def _catalog_codes(connection: Connection, context: CheckContext, *, fresh: bool = False) -> list[str]:
    """The warehouses of the connection's catalog; ``fresh``: as the ERP listed them within the last minute (read
    again otherwise: once for a run's checks, at most once a minute for change runs and previews)."""
    found = catalog.catalog_of(connection)
    read_at = found.refreshed_at if found is not None else None
    if found is None or read_at is None or (fresh and read_at < context.now - FRESH_CATALOG):
        try:
            found = catalog.refresh(connection, now=context.now)
        except catalog.CatalogRefreshError as exc:
            raise ErpError(f"cannot read the warehouses of connection {connection.name!r}: {exc.message}") from None
    codes = [str(entry.get("code")) for entry in found.warehouses if isinstance(entry, dict) and entry.get("code")]
    if not codes:
        raise ValidationError(f"connection {connection.name!r} has no warehouses in its catalog: nothing to check")
    return codes
