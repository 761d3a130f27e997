"""A documented subset of ABRA Flexi's filter syntax, parsed once and evaluated on served rows.

User-defined checks send Flexi filters (``/c/demo/cenik/(typZasobyK = 'typZasoby.material').json``); the local
server must answer them like Flexi would, and refuse — loudly, with HTTP 400 — what it cannot evaluate, so a
check never passes because a filter was silently ignored.

The subset:

* comparisons ``field OP value`` with OP one of ``=`` ``==`` ``eq`` | ``<>`` ``!=`` ``ne`` ``neq`` | ``<`` ``lt`` |
  ``<=`` ``lte`` | ``>`` ``gt`` | ``>=`` ``gte`` | ``like`` (contains, case-insensitive) | ``begins`` | ``ends``
  (case-sensitive); ``field in (a, b, c)``; ``field between a b`` (inclusive); ``field is null``,
  ``is not null``, ``is true``, ``is false``;
* ``and``, ``or``, ``not x`` / ``not(x)``, parentheses; precedence: comparison > not > and > or; keywords in
  any case;
* values: numbers, quoted strings ``'…'`` or ``"…"`` (backslash escapes), ``true``/``false``, ``code:X``
  references, ``now()`` (the server's "today", ISO);
* the left side: a field or a relation path (``cenik.kod``, ``cenik.typZasobyK``, ``sklad.kod``).

Semantics: a relation equals ``code:X`` (or ``'code:X'``, or a plain string) when the related record's ``kod`` is
X, and a number when its ``id`` is; ordering compares ids. Numbers compare as numbers, dates and selects as (ISO)
strings. As in SQL, a missing value (null, empty relation) satisfies no comparison (``<>`` included), only
``is null``; an empty string counts as null. A syntax error or an unknown field raises :class:`FilterError`
naming the position or the field; Flexi operators outside the subset (``in subtree``, ``similar``, functions
other than ``now()`` such as ``me()``) raise it with ``unsupported=True`` ("… not supported by this server").
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol


class Row(Protocol):
    def get(self, name: str, /) -> Any: ...


Test = Callable[[Row], bool]
Part = tuple[frozenset[tuple[str, ...]], Test]
Known = Callable[[tuple[str, ...]], bool]


class FilterError(ValueError):
    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.unsupported = unsupported


@dataclass(frozen=True)
class CodeRef:
    code: str


@dataclass(frozen=True)
class Filter:
    text: str
    paths: frozenset[tuple[str, ...]]
    test: Test
    parts: tuple[Part, ...] = ()  # the top-level conjuncts, with the paths each reads (for pre-checks)

    def matches(self, row: Row) -> bool:
        return self.test(row)


def parse(text: str, known: Known | None = None, today: date | None = None) -> Filter:
    """Parse ``text``; ``known`` tells whether a field path exists (else: every path is accepted)."""
    parser = _Parser(_tokens(text), known, (today or date.today()).isoformat())
    test, parts = parser.top()
    parser.expect("END")
    return Filter(text, frozenset(parser.paths), test, tuple(parts))


def matching(
    count: int, row_at: Callable[[int], Row], flt: Filter, run: int = 1, constant: frozenset[str] = frozenset()
) -> array[int]:
    """Indexes (ascending) of the rows the filter keeps: computed once per filter, then paged from. The top-level
    conjuncts on ``constant`` fields only (whose values do not change within a run of ``run`` rows) are tested
    once a run, and a run they reject is skipped whole."""
    on_runs = [test for paths, test in flt.parts if {path[0] for path in paths} <= constant]
    if run <= 1 or not on_runs:
        return array("l", (index for index in range(count) if flt.test(row_at(index))))
    per_row = [test for paths, test in flt.parts if not {path[0] for path in paths} <= constant]
    run_test, row_test = _all(on_runs), _all(per_row) if per_row else None
    found = array("l")
    for start in range(0, count, run):
        if run_test(row_at(start)):
            rows = range(start, min(start + run, count))
            found.extend(rows if row_test is None else (index for index in rows if row_test(row_at(index))))
    return found


def _all(tests: list[Test]) -> Test:
    combined = tests[0]
    for test in tests[1:]:
        combined = _both(combined, test)
    return combined


# --- tokens ---

TOKEN = re.compile(
    r"""(?P<space>\s+)|(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<code>code:[^\s,()'"]+)
    |(?P<num>-?\d+(?:\.\d+)?(?![\w.]))|(?P<word>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)
    |(?P<op><=|>=|<>|!=|==|=|<|>)|(?P<punct>[(),])""",
    re.VERBOSE,
)
Token = tuple[str, Any, int]  # kind, value, position


def _tokens(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        found = TOKEN.match(text, position)
        if found is None:
            quote = text[position] in "'\""
            what = "an unterminated string" if quote else f"an unexpected character {text[position]!r}"
            raise FilterError(f"Filter syntax error: {what} at position {position}")
        kind = found.lastgroup or ""
        if kind != "space":
            tokens.append((kind, _token_value(kind, found.group()), position))
        position = found.end()
    return [*tokens, ("END", None, len(text))]


def _token_value(kind: str, raw: str) -> Any:
    if kind == "str":
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if kind == "num":
        return float(raw) if "." in raw else int(raw)
    if kind == "code":
        return CodeRef(raw[len("code:") :])
    return raw


UNSUPPORTED_WORDS = {"similar", "likesimilar", "subtree"}
BINARY = {"=": "eq", "==": "eq", "<>": "ne", "!=": "ne", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
BINARY.update({word: word for word in ("eq", "ne", "lt", "lte", "gt", "gte", "like", "begins", "ends")})
BINARY["neq"] = "ne"


class _Parser:
    def __init__(self, tokens: list[Token], known: Known | None, today: str) -> None:
        self.tokens, self.at, self.known, self.today = tokens, 0, known, today
        self.paths: list[tuple[str, ...]] = []

    def peek(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def word(self, *words: str) -> bool:
        kind, value, _ = self.peek()
        if kind == "word" and value.lower() in words:
            self.at += 1
            return True
        return False

    def expect(self, kind: str, value: str | None = None) -> Token:
        token = self.take()
        if token[0] != kind or (value is not None and token[1] != value):
            wanted = value or {"END": "the end of the filter"}.get(kind, kind)
            raise _syntax(token[2], f"expected {wanted}, found {_shown(token[0], token[1])}")
        return token

    def top(self) -> tuple[Test, list[Part]]:
        """The whole filter, and its top-level conjuncts (one part when an ``or`` joins them)."""
        parts = [self.part()]
        while self.word("and"):
            parts.append(self.part())
        if self.word("or"):
            whole = _either(_all([test for _, test in parts]), self.expression())
            return whole, [(frozenset(self.paths), whole)]
        return _all([test for _, test in parts]), parts

    def part(self) -> Part:
        mark = len(self.paths)
        test = self.negation()
        return frozenset(self.paths[mark:]), test

    def expression(self) -> Test:
        test = self.conjunction()
        while self.word("or"):
            left, right = test, self.conjunction()
            test = _either(left, right)
        return test

    def conjunction(self) -> Test:
        test = self.negation()
        while self.word("and"):
            left, right = test, self.negation()
            test = _both(left, right)
        return test

    def negation(self) -> Test:
        if self.word("not"):
            inner = self.negation()
            return lambda row: not inner(row)
        if self.peek()[0] == "punct" and self.peek()[1] == "(":
            self.take()
            test = self.expression()
            self.expect("punct", ")")
            return test
        return self.comparison()

    def comparison(self) -> Test:
        kind, name, position = self.take()
        if kind != "word":
            raise _syntax(position, f"expected a field, found {_shown(kind, name)}")
        path = tuple(name.split("."))
        if self.known is not None and not self.known(path):
            raise FilterError(f"Unknown field {name!r} in the filter (position {position})")
        self.paths.append(path)
        get = _getter(path)
        test = self.operator(name)
        return lambda row: test(get(row))

    def operator(self, field: str) -> Callable[[Any], bool]:
        kind, value, position = self.take()
        word = value.lower() if kind == "word" else value
        if kind == "word" and word in UNSUPPORTED_WORDS:
            raise FilterError(f"The filter operator {value!r} is not supported by this server", unsupported=True)
        if kind in ("op", "word") and word in BINARY:
            compare, right = COMPARE[BINARY[word]], self.value()
            return lambda left: left is not None and left != "" and compare(left, right)
        if word == "in":
            return self.membership()
        if word == "between":
            above, below = _ordered(lambda order: order >= 0), _ordered(lambda order: order <= 0)
            low, high = self.value(), self.value()
            return lambda left: _present(left) and above(left, low) and below(left, high)
        if word == "is":
            return self.state()
        raise _syntax(position, f"expected an operator after {field!r}")

    def membership(self) -> Callable[[Any], bool]:
        if self.word("subtree"):
            raise FilterError("The filter operator 'in subtree' is not supported by this server", unsupported=True)
        self.expect("punct", "(")
        values = [self.value()]
        while self.peek()[:2] == ("punct", ","):
            self.take()
            values.append(self.value())
        self.expect("punct", ")")
        return lambda left: _present(left) and any(_equal(left, value) for value in values)

    def state(self) -> Callable[[Any], bool]:
        negated = self.word("not")
        if self.word("null"):
            return (lambda left: _present(left)) if negated else (lambda left: not _present(left))
        if self.word("true", "false"):
            wanted = self.tokens[self.at - 1][1].lower() == "true"
            return (lambda left: left is not wanted) if negated else (lambda left: left is wanted)
        raise _syntax(self.peek()[2], "expected null, true or false after 'is'")

    def value(self) -> Any:
        kind, value, position = self.take()
        if kind in ("str", "num", "code"):
            return value
        if kind == "word" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if kind == "word" and self.peek()[:2] == ("punct", "("):
            self.take()
            self.expect("punct", ")")
            if value.lower() == "now":
                return self.today
            raise FilterError(f"The filter function {value}() is not supported by this server", unsupported=True)
        raise _syntax(position, f"expected a value, found {_shown(kind, value)}")


def _shown(kind: str, value: Any) -> str:
    if kind == "END":
        return "the end of the filter"
    return repr(f"code:{value.code}" if kind == "code" else value)


def _syntax(position: int, problem: str) -> FilterError:
    return FilterError(f"Filter syntax error at position {position}: {problem}")


def _either(left: Test, right: Test) -> Test:
    return lambda row: left(row) or right(row)


def _both(left: Test, right: Test) -> Test:
    return lambda row: left(row) and right(row)


def _getter(path: tuple[str, ...]) -> Callable[[Row], Any]:
    head, *rest = path
    if not rest:
        return lambda row: row.get(head)

    def get(row: Row) -> Any:
        value = row.get(head)
        for step in rest:
            value = value.get(step) if isinstance(value, dict) else None
        return value

    return get


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _text(value: Any) -> str:
    if isinstance(value, CodeRef):
        return value.code
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value.code if isinstance(value, CodeRef) else value)
    except (TypeError, ValueError):
        return None


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, dict):
        if isinstance(right, str) and right.startswith("code:"):
            right = CodeRef(right[len("code:") :])
        if isinstance(right, CodeRef) or _number(right) is None:
            return bool(left.get("kod") == _text(right))
        return _number(left.get("id")) == _number(right)
    return _order(left, right) == 0


def _order(left: Any, right: Any) -> int | None:
    """-1/0/1, or None when the two cannot be compared (then no comparison holds)."""
    if isinstance(left, dict):
        left = left.get("id")
    if isinstance(left, bool):
        wanted = right if isinstance(right, bool) else {"true": True, "false": False}.get(_text(right))
        return None if wanted is None else (left > wanted) - (left < wanted)
    if isinstance(left, int | float):
        number = _number(right)
        return None if number is None else (left > number) - (left < number)
    text = _text(right)
    return (str(left) > text) - (str(left) < text)


def _ordered(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        order = _order(left, right)
        return order is not None and test(order)

    return compare


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _equal,
    "ne": lambda left, right: _order(left, right) is not None and not _equal(left, right),
    "lt": _ordered(lambda order: order < 0),
    "lte": _ordered(lambda order: order <= 0),
    "gt": _ordered(lambda order: order > 0),
    "gte": _ordered(lambda order: order >= 0),
    "like": lambda left, right: _text(right).lower() in _text(_kod(left)).lower(),
    "begins": lambda left, right: _text(_kod(left)).startswith(_text(right)),
    "ends": lambda left, right: _text(_kod(left)).endswith(_text(right)),
}


def _kod(value: Any) -> Any:
    return value.get("kod") if isinstance(value, dict) else value
