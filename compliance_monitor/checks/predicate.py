"""Row predicates for checks as data (issue 12): a small documented grammar, parsed once, compiled to closures.

A user-defined check says which rows violate it with an expression over the fields of a Flexi evidence::

    stavMJ < 0
    minMJ > 0 && stavMJ < minMJ
    skupZboz is null || !(cenik.typZasobyK in ['typZasoby.zbozi', 'typZasoby.vyrobek'])
    datSplat < ${today} && zbyvaUhradit > 0 && !storno

The syntax is a subset of CEL's (``&&``, ``||``, ``!``, ``in``, string and number literals), with the words ``and``,
``or``, ``not``, ``not in`` and ``is [not] null`` for readers who are not programmers::

    expr   := or
    or     := and (('||' | 'or') and)*
    and    := unary (('&&' | 'and') unary)*
    unary  := ('!' | 'not') unary | test
    test   := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum | ['not'] 'in' items | 'is' ['not'] 'null')?
    sum    := atom (('+' | '-') atom)*
    atom   := NUMBER | STRING | 'true' | 'false' | 'null' | '${' NAME '}' | path | '(' expr ')' | '-' atom
    path   := NAME ('.' NAME)?          -- a field, or a field of a relation (skupZboz.id, cenik.typZasobyK)
    items  := '[' (constant (',' constant)*)? ']' | '${' NAME '}'   -- a placeholder standing for a list

It is never Python: there is no ``eval``, ``exec`` or ``compile()`` here. :func:`compile_predicate` tokenizes and
parses the text, checks every field against the evidence's fields (their ``/properties`` types) and every
``${placeholder}`` against the run's parameters, and builds a tree of small closures. A mistake is a
:class:`PredicateError` naming the column. Only the fields the predicate uses are read from a row, each converted by
its declared type (``numeric``: a finite number, empty is 0; ``date``: the ``YYYY-MM-DD`` Flexi starts it with;
``logic``: ``"true"``/``"false"``; ``relation``: an expanded object or ``code:X``). A row whose value cannot be
judged — ``NaN`` in a numeric field, a missing text in an ordering — raises :class:`RowError`, which the check
counts as a data error of its scope: never a crash, never a silent pass. The engine choice (closures over CEL
bindings, which cost 8–20 µs a row) is measured in docs/design/checks-as-data-research.md.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, NoReturn

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from compliance_monitor.checks import columns
from compliance_monitor.erp import flexi

FieldType = Literal["numeric", "integer", "text", "date", "logic", "relation", "select"]
Row = Mapping[str, Any]
Value = Callable[[Row], Any]
Kind = Literal["number", "text", "date", "bool", "null", "relation"]
MAX_DEPTH = 40  # nested parentheses and negations: deeper is a mistake, and would exhaust the parser's stack

TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<placeholder>\$\{[A-Za-z_][A-Za-z0-9_]*\})|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>&&|\|\||<=|>=|==|!=|[<>!(),.\[\]+-]))"
)
WORDS = {"and": "&&", "or": "||"}
ORDERING = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
EQUALITY = {"==": operator.eq, "!=": operator.ne}
KIND_OF_FIELD: dict[str, Kind] = {"numeric": "number", "integer": "number", "date": "date", "logic": "bool"}


class PredicateError(ValueError):
    """The predicate cannot be compiled; ``column`` is 1-based."""

    def __init__(self, problem: str, source: str, offset: int) -> None:
        self.problem, self.column = problem, offset + 1
        where = {"problem": problem, "column": self.column, "before": source[:offset], "after": source[offset:]}
        super().__init__(_("%(problem)s at column %(column)d: %(before)s⟨here⟩%(after)s") % where)


class RowError(ValueError):
    """This row's value cannot be judged (a data error of the scope, never a pass)."""


@dataclass(frozen=True)
class Predicate:
    source: str
    fields: frozenset[str]  # the fields it reads: what a definition must ask the ERP for (detail=custom:…)
    test: Callable[[Row], bool]
    select: Callable[[Sequence[Row]], list[Row]]  # a page's rows it holds for, the same verdicts (checks/columns.py)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    offset: int


@dataclass(frozen=True)
class _Node:
    value: Value
    kind: Kind
    offset: int
    constant: bool = False
    number_field: str = ""  # a plain number field: comparisons read it without a call between (the hot path)
    column: columns.Column | None = None  # its values for a page at once; None: its row closure once per row


def compile_predicate(
    source: str, fields: Mapping[str, FieldType], parameters: Mapping[str, Any] | None = None
) -> Predicate:
    """``source`` over rows with ``fields`` (name → type); ``parameters`` fill ``${name}``."""
    parser = _Parser(source, fields, parameters or {})
    node = parser.expression()
    if parser.peek().kind != "end":
        parser.fail(_("unexpected %(token)s") % {"token": repr(parser.peek().text)})
    test, select = node.value, columns.selected(_column(node), parser.memo)  # select keeps the rows whose value is true
    if node.kind != "bool":  # a bare field or constant: its truth, as a yes/no
        return Predicate(source, frozenset(parser.used), lambda row: bool(test(row)), select)
    return Predicate(source, frozenset(parser.used), test, select)


def _tokenize(source: str) -> list[_Token]:
    tokens, offset = [], 0
    while source[offset:].strip():
        match = TOKEN.match(source, offset)
        if match is None:
            at = len(source) - len(source[offset:].lstrip())
            raise PredicateError(_("unexpected character %(character)s") % {"character": repr(source[at])}, source, at)
        kind = match.lastgroup or "op"
        text = match.group(kind)
        if kind == "name" and text in WORDS:
            kind, text = "op", WORDS[text]
        tokens.append(_Token(kind, text, match.start(kind)))
        offset = match.end()
    return [*tokens, _Token("end", _("end of the predicate"), len(source))]


class _Parser:
    def __init__(self, source: str, fields: Mapping[str, FieldType], parameters: Mapping[str, Any]) -> None:
        self.source, self.fields, self.parameters = source, fields, parameters
        self.tokens, self.index, self.used = _tokenize(source), 0, set[str]()
        self.depth = 0
        self.memo: columns.Memo = {}  # shared by the predicate's number columns, emptied after each page

    def deeper(self, offset: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(_("nested more than %(depth)d levels deep") % {"depth": MAX_DEPTH}, offset)

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self, text: str | None = None) -> _Token:
        token = self.peek()
        if text is not None and token.text != text:
            self.fail(_("expected %(expected)s, found %(found)s") % {"expected": repr(text), "found": repr(token.text)})
        self.index += 1
        return token

    def fail(self, problem: str, offset: int | None = None) -> NoReturn:
        raise PredicateError(problem, self.source, self.peek().offset if offset is None else offset)

    def expression(self) -> _Node:
        return self._chain("||", self._and, lambda f, g: lambda r: f(r) or g(r), columns.either)

    def _and(self) -> _Node:
        return self._chain("&&", self._unary, lambda f, g: lambda r: f(r) and g(r), columns.both)

    def _chain(
        self,
        op: str,
        operand: Callable[[], _Node],
        join: Callable[[Value, Value], Value],
        join_columns: Callable[[columns.Column, columns.Column], columns.Column],
    ) -> _Node:
        node = operand()
        while self.peek().text == op:
            self.take()
            right = operand()
            if node.constant:  # e.g. a rule's ${by_type}: decided once per scope, not per row
                decided = bool(node.value({})) == (op == "||")
                node = _constant(op == "||", node.offset) if decided else right
            else:  # a constant on the right is still evaluated after the left (which may be a data error)
                column = join_columns(_column(node), _column(right))
                node = _Node(join(node.value, right.value), "bool", node.offset, column=column)
        return node

    def _unary(self) -> _Node:
        token = self.peek()
        if token.text in ("!", "not") and not (token.text == "not" and self.peek(1).text == "in"):
            self.take()
            self.deeper(token.offset)
            operand = self._unary()
            if operand.constant:
                return _constant(not operand.value({}), token.offset)
            inner = operand.value
            return _Node(lambda r: not inner(r), "bool", token.offset, column=columns.negated(_column(operand)))
        return self._test()

    def _test(self) -> _Node:
        left, token = self._sum(), self.peek()
        if token.text in ORDERING or token.text in EQUALITY:
            self.take()
            return _compare(token, left, self._sum(), self)
        if token.text == "in" or (token.text == "not" and self.peek(1).text == "in"):
            negate = self.take().text == "not"
            if negate:
                self.take("in")
            if left.kind == "relation":
                self.fail(
                    _("use a field of the relation (e.g. sklad.kod) with 'in', not the relation itself"), token.offset
                )
            return _membership(left, _member_items(left, self._items(), token, self), negate)
        if token.text == "is":
            self.take()
            negate = self.peek().text == "not"
            if negate:
                self.take()
            self.take("null")
            return _null_test(left, negate)
        return left

    def _sum(self) -> _Node:
        node = self._atom()
        while self.peek().text in ("+", "-"):
            token = self.take()
            right = self._atom()
            if node.kind != "number" or right.kind != "number":
                self.fail(_("'%(operator)s' works on numbers only") % {"operator": token.text}, token.offset)
            node = _arith(operator.add if token.text == "+" else operator.sub, node, right)
        return node

    def _atom(self) -> _Node:
        token = self.take()
        if token.kind == "number":
            return _constant(float(token.text), token.offset)
        if token.kind == "string":
            return _constant(re.sub(r"\\(.)", r"\1", token.text[1:-1]), token.offset)
        if token.kind == "placeholder":
            return self._placeholder(token)
        if token.kind == "name":
            return self._name(token)
        if token.text == "(":
            self.deeper(token.offset)
            node = self.expression()
            self.take(")")
            return node
        if token.text == "-":
            self.deeper(token.offset)
            inner = self._atom()
            if inner.kind != "number":
                self.fail(_("'%(operator)s' works on numbers only") % {"operator": "-"}, token.offset)
            value = inner.value
            return _Node(lambda r: -value(r), "number", token.offset, inner.constant)
        self.fail(_("unexpected %(token)s") % {"token": repr(token.text)}, token.offset)

    def _placeholder(self, token: _Token) -> _Node:
        value = self._value_of(token)
        if isinstance(value, list | tuple):
            self.fail(_("%(placeholder)s is a list: use it after 'in'") % {"placeholder": token.text}, token.offset)
        return _constant(value, token.offset)

    def _value_of(self, token: _Token) -> Any:
        name = token.text[2:-1]
        if name not in self.parameters:
            known = ", ".join(sorted(self.parameters)) or pgettext("no placeholders", "none")
            problem = _("unknown placeholder ${%(name)s} (known: %(known)s)") % {"name": name, "known": known}
            self.fail(problem, token.offset)
        return self.parameters[name]

    def _name(self, token: _Token) -> _Node:
        if token.text in ("true", "false"):
            return _constant(token.text == "true", token.offset)
        if token.text == "null":
            return _constant(None, token.offset)
        if self.peek().text == "(":
            problem = _("unknown function %(name)s: a predicate compares fields, it calls nothing")
            self.fail(problem % {"name": repr(token.text)}, token.offset)
        field = token.text
        if field not in self.fields:
            problem = _("unknown field %(field)s (known: %(known)s)")
            self.fail(problem % {"field": repr(field), "known": ", ".join(sorted(self.fields))}, token.offset)
        if self.peek().text == ".":
            self.take()
            part = self.take()
            if part.kind != "name":
                self.fail(_("expected a field of the relation after '.'"), part.offset)
            if self.fields[field] != "relation":
                problem = _("field %(field)s is not a relation: it has no %(part)s")
                self.fail(problem % {"field": repr(field), "part": repr(part.text)}, part.offset)
            self.used.add(f"{field}.{part.text}")  # asked for by name: detail=custom:field(part)
            return _Node(_relation_field(field, part.text), "text", token.offset)  # relation fields are text
        self.used.add(field)
        kind = "relation" if self.fields[field] == "relation" else KIND_OF_FIELD.get(self.fields[field], "text")
        number = field if kind == "number" else ""
        column = columns.number_field(field, self.memo) if number else None
        return _Node(_accessor(field, self.fields[field]), kind, token.offset, number_field=number, column=column)

    def _items(self) -> list[Any]:
        """A list of constants, or a placeholder standing for one (``in ${allowed}``)."""
        if self.peek().kind != "placeholder":
            return self._list()
        token = self.take()
        value = self._value_of(token)
        if not isinstance(value, list | tuple):
            self.fail(_("%(placeholder)s is not a list: 'in' needs one") % {"placeholder": token.text}, token.offset)
        return list(value)

    def _list(self) -> list[Any]:
        self.take("[")
        items: list[Any] = []
        while self.peek().text != "]":
            if items:
                self.take(",")
            item = self._atom()
            if not item.constant:
                self.fail(_("a list holds constants only"), item.offset)
            items.append(item.value({}))
        self.take("]")
        return items


def _constant(value: Any, offset: int) -> _Node:
    kind: Kind = (
        "null"
        if value is None
        else "bool"
        if isinstance(value, bool)
        else "number"
        if isinstance(value, int | float)
        else "date"
        if isinstance(value, date)
        else "text"
    )
    return _Node(lambda r: value, kind, offset, constant=True)


def _arith(op: Callable[[Any, Any], Any], left: _Node, right: _Node) -> _Node:
    f, g = left.value, right.value
    column = columns.compare(op, _column(left), _column(right))
    return _Node(lambda r: op(f(r), g(r)), "number", left.offset, column=column)


def _null_test(node: _Node, negate: bool) -> _Node:
    value = node.value
    if negate:
        return _Node(lambda r: value(r) not in (None, ""), "bool", node.offset)
    return _Node(lambda r: value(r) in (None, ""), "bool", node.offset)


def _compare(token: _Token, left: _Node, right: _Node, parser: _Parser) -> _Node:
    left, right = _dates(left, right, parser), _dates(right, left, parser)
    kinds = {left.kind, right.kind} - {"null"}
    if "relation" in kinds:
        parser.fail(_("compare a field of the relation (e.g. sklad.kod), not the relation itself"), token.offset)
    if len(kinds) > 1:
        _cannot_compare(left.kind, right.kind, token.offset, parser)
    f, g = left.value, right.value
    if token.text in EQUALITY:
        op = EQUALITY[token.text]
        column = columns.compare(op, _column(left), _column(right))
        return _Node(lambda r: op(f(r), g(r)), "bool", left.offset, column=column)
    order = ORDERING[token.text]
    if left.kind == right.kind == "number":  # a number field is never empty (it raises instead): the hot path
        return _Node(
            _numbers(token.text, left, right), "bool", left.offset, column=_number_column(token.text, left, right)
        )

    def ordered(row: Row) -> bool:
        a, b = f(row), g(row)
        if a is None or b is None or a == "" or b == "":
            raise RowError(f"'{token.text}' at column {token.offset + 1} meets an empty value")
        try:
            return bool(order(a, b))
        except TypeError:
            raise RowError(f"'{token.text}' at column {token.offset + 1} cannot order {a!r} and {b!r}") from None

    return _Node(ordered, "bool", left.offset)


# Comparisons of numbers, made per shape so a row pays one closure and one float() per field (a million rows a run).
FIELD_CONSTANT: dict[str, Callable[[str, float], Value]] = {
    "<": lambda a, c: lambda r: _number(r, a) < c,
    "<=": lambda a, c: lambda r: _number(r, a) <= c,
    ">": lambda a, c: lambda r: _number(r, a) > c,
    ">=": lambda a, c: lambda r: _number(r, a) >= c,
}
FIELD_FIELD: dict[str, Callable[[str, str], Value]] = {
    "<": lambda a, b: lambda r: _number(r, a) < _number(r, b),
    "<=": lambda a, b: lambda r: _number(r, a) <= _number(r, b),
    ">": lambda a, b: lambda r: _number(r, a) > _number(r, b),
    ">=": lambda a, b: lambda r: _number(r, a) >= _number(r, b),
}
MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _numbers(op: str, left: _Node, right: _Node) -> Value:
    """``left op right`` over numbers: a field against a constant or another field without intermediate calls."""
    if left.number_field and right.number_field:
        return FIELD_FIELD[op](left.number_field, right.number_field)
    if left.number_field and right.constant:
        return FIELD_CONSTANT[op](left.number_field, right.value({}))
    if right.number_field and left.constant:
        return FIELD_CONSTANT[MIRRORED[op]](right.number_field, left.value({}))
    order, f, g = ORDERING[op], left.value, right.value
    return lambda r: order(f(r), g(r))


def _number_column(op: str, left: _Node, right: _Node) -> columns.Column:
    if right.constant:
        return columns.compare_constant(ORDERING[op], _column(left), right.value({}))
    if left.constant:
        return columns.compare_constant(ORDERING[MIRRORED[op]], _column(right), left.value({}))
    return columns.compare(ORDERING[op], _column(left), _column(right))


def _column(node: _Node) -> columns.Column:
    """The node's values for a page: its own column, its constant, or its row closure once per row."""
    if node.column is not None:
        return node.column
    return columns.constant(node.value({})) if node.constant else columns.per_row(node.value)


def _dates(node: _Node, other: _Node, parser: _Parser) -> _Node:
    """A text constant compared with a date field is a date (``datSplat < '2026-12-01'``)."""
    if node.constant and node.kind == "text" and other.kind == "date":
        try:
            day = date.fromisoformat(node.value({}))
        except ValueError:
            parser.fail(_("%(value)s is not a date (YYYY-MM-DD)") % {"value": repr(node.value({}))}, node.offset)
        return _constant(day, node.offset)
    return node


def _cannot_compare(left: Kind, right: Kind, offset: int, parser: _Parser) -> NoReturn:
    problem = _("cannot compare %(left)s with %(right)s")
    parser.fail(problem % {"left": _kind_name(left), "right": _kind_name(right)}, offset)


def _kind_name(kind: Kind) -> str:
    """A value's kind for people, in a predicate error."""
    names = {
        "number": pgettext("kind of value", "number"),
        "text": pgettext("kind of value", "text"),
        "date": pgettext("kind of value", "date"),
        "bool": pgettext("kind of value", "bool"),
        "null": pgettext("kind of value", "null"),
        "relation": pgettext("kind of value", "relation"),
    }
    return names.get(kind, kind)


def _member_items(left: _Node, items: list[Any], token: _Token, parser: _Parser) -> list[Any]:
    """The list's items as values of the left side's kind (a text is a date beside a date field), or the mistake
    named as a comparison names it: ``stavMJ in ['5']`` or ``skupZboz.kod in [10]`` would never match, and every
    row would pass unseen."""
    found = []
    for item in items:
        if item is not None and not isinstance(item, str | int | float | date):
            parser.fail(_("a list holds constants only"), token.offset)
        node = _dates(_constant(item, token.offset), left, parser)
        if node.kind not in (left.kind, "null"):
            _cannot_compare(left.kind, node.kind, token.offset, parser)
        found.append(node.value({}))
    return found


def _membership(left: _Node, items: list[Any], negate: bool) -> _Node:
    allowed, value = frozenset(items), left.value
    column = columns.member(_column(left), allowed, negate)
    if negate:
        return _Node(lambda r: value(r) not in allowed, "bool", left.offset, column=column)
    return _Node(lambda r: value(r) in allowed, "bool", left.offset, column=column)


def _accessor(field: str, kind: FieldType) -> Value:
    """Numbers and yes/no fields must be in the row — absent, they would read as 0 or false and a check could pass
    rows it never saw the value of; texts, dates, selects and relations absent are empty (``is null``)."""
    if kind in ("numeric", "integer"):
        return lambda r: _number(r, field)
    if kind == "date":
        return lambda r: _date(r.get(field), field)
    if kind == "logic":
        return lambda r: _logic(r, field)
    if kind == "relation":
        return lambda r: _related(r.get(field)) or None
    return lambda r: r.get(field)


def _number(row: Row, field: str) -> float:
    """A finite number (Flexi sends "18.0" or 18.0; empty is 0), else a :class:`RowError` — a million calls a run,
    so the common case (a numeric string) takes one ``float()`` and one finiteness test."""
    value = row.get(field, _MISSING)
    if type(value) is str and value:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if number - number == 0.0:  # false for NaN and the infinities
            return number
    elif value is _MISSING:
        raise RowError(f"field {field} is missing from the ERP's answer")
    else:
        try:
            return flexi.to_float(value)
        except (ValueError, TypeError):
            pass
    raise RowError(f"field {field} is {str(value)[:40]!r}, not a finite number")


def _date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])  # Flexi: 2026-12-01+01:00
    except ValueError:
        raise RowError(f"field {field} is {str(value)[:40]!r}, not a date") from None


def _logic(row: Row, field: str) -> bool:
    value = row.get(field, _MISSING)
    if value is _MISSING:
        raise RowError(f"field {field} is missing from the ERP's answer")
    text = str(value).lower()
    if text not in ("true", "false"):
        raise RowError(f"field {field} is {str(value)[:40]!r}, not true or false")
    return text == "true"


_MISSING = object()


def _related(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else flexi.relation(value)


def _relation_field(field: str, part: str) -> Value:
    """A field of the related record; a related record without it (not expanded, or the field not sent) cannot be
    judged — an empty relation is empty (``is null``)."""

    def value(row: Row) -> Any:
        record = _related(row.get(field))
        if record and part not in record:
            raise RowError(f"field {field}.{part} is missing from the ERP's answer")
        found = record.get(part)
        return found if found is None or type(found) is str else str(found)  # native JSON ids: 3 → "3"

    return value


def accessor(path: str, fields: Mapping[str, FieldType]) -> Value:
    """A row's value at ``path`` (``stavMJ``, ``cenik.kod``), read by the field's type as in a predicate; the caller
    checked the path (``checks/definition.py``)."""
    head, _, part = path.partition(".")
    return _relation_field(head, part) if part else _accessor(head, fields.get(head, "text"))
