"""A check as data (issue 12): a parsed, validated :class:`Definition` — the engine never sees YAML or JSON.

A definition names an ABRA Flexi evidence, an optional server-side filter, optional scopes (one result per scope,
e.g. per warehouse, as the original reports are), a row predicate (``checks/predicate.py``), what makes one
violation (identity fields), a per-violation message template, severity thresholds, owners and the connections it
is meant for. :func:`parse` turns plain data (a YAML file, an API body, a stored version) into a definition or
raises :class:`DefinitionError` naming every field that is wrong and why; :meth:`Definition.to_data` gives the
plain data back, so the YAML round trip is lossless. Field names are checked against the evidence's fields (its
``/properties``), given by the caller as ``fields_of(evidence)``.

Placeholders: ``${today}`` (the run's date), ``${scope}`` (the scope's code), ``${period}`` (the current
accounting period as a relation reference, ``code:2026``) and every name in ``parameters`` (defaults a job may
override); with ``scope: {…, values: rules}`` also ``${allowed}`` and ``${by_type}``, each warehouse rule's own
(see :data:`RULE_PLACEHOLDERS`). In the filter a placeholder becomes a quoted Flexi literal, so a value can never
change its shape; in ``request`` (more query parameters, e.g. ``datum: ${today}`` for ``stav-skladu-k-datu``) it is
sent as plain text.

A scope is a relation the filter narrows (``field: sklad``: ``sklad = 'code:X'``), or a request parameter
(``parameter: sklad``: ``?sklad=code:X``, for evidences read one warehouse per request). Its values are codes, ``all``
(every warehouse of the connection's catalog) or ``rules`` (the warehouses of the connection's warehouse rules, each
with its allowed goods groups or product types and its original report's name: the original three reports).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.utils.translation import gettext as _

from compliance_monitor.checks.predicate import FieldType, Predicate, PredicateError, compile_predicate

FieldsOf = Callable[[str], Mapping[str, FieldType] | None]  # evidence → its fields' types; None: no such evidence
NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,99}$")
EVIDENCE = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
PATH = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$")
TEMPLATE_FIELD = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")  # {field}; {{ and }} are literal braces
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
BUILT_IN_PLACEHOLDERS = ("today", "scope", "period")
LANGUAGES = ("en", "cs")
READS = ("whole", "offenders")
KEYS = (
    *("name", "title", "description", "evidence", "filter", "parameters", "request", "scope", "predicate"),
    *("identity", "label", "quantity", "unit", "group", "message", "detail", "thresholds", "owners"),
    *("connections", "read", "triggers", "enabled"),
)
SAMPLE = {"today": date(2026, 1, 1), "scope": "SCOPE", "period": "code:2026"}  # for compiling before any run
MAX_TEXT, MAX_LIST = 2000, 200
SCOPE_ALL_FIELD = "sklad"  # "values: all" means every warehouse in the connection's catalog
RULE_PLACEHOLDERS = {"allowed": ["SAMPLE"], "by_type": False}  # a warehouse rule's: its allowed values, its kind
RESERVED_REQUEST = frozenset({"detail", "includes", "limit", "start", "order", "add-row-count", "filter"})
REQUEST_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,39}$")


class DefinitionError(ValueError):
    """``errors``: field → problems, e.g. ``{"predicate": ["unknown field 'stavMX' … at column 1"]}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{key}: {' '.join(problems)}" for key, problems in errors.items()))


@dataclass(frozen=True)
class Scope:
    field: str  # a relation of the evidence, e.g. "sklad": one result per value
    values: tuple[str, ...] = ()  # codes; () = every warehouse in the catalog (or in the rules)
    parameter: bool = False  # sent as a request parameter (?sklad=code:X), not as a filter on the field
    rules: bool = False  # the values are the connection's warehouse rules

    def to_data(self) -> dict[str, Any]:
        values: Any = "rules" if self.rules else list(self.values) or "all"
        return {"parameter" if self.parameter else "field": self.field, "values": values}


@dataclass(frozen=True)
class Thresholds:
    """A result's severity by its violation count: > critical, > high, > medium (the default 10 / 5 / 0)."""

    critical: int = 10
    high: int = 5
    medium: int = 0

    def as_list(self) -> list[int]:
        return [self.critical, self.high, self.medium]


@dataclass(frozen=True)
class Definition:
    name: str
    title: dict[str, str]
    evidence: str
    predicate: str
    identity: tuple[str, ...]
    description: dict[str, str] = field(default_factory=dict)
    filter: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    scope: Scope | None = None
    label: str = ""  # the field naming a violation for people, e.g. cenik.nazev
    quantity: str = ""  # a numeric field kept with each violation, e.g. stavMJ
    unit: str = ""  # the quantity's unit, e.g. mj1.kod (shown lower-case, "ks" when blank)
    group: str = ""  # the goods group a violation belongs to, for people, e.g. skupZboz.kod
    message: str = ""  # per violation, e.g. "{cenik.kod} ({stavMJ}ks)"; blank: "CODE (5ks)" with a quantity, else CODE
    detail: tuple[str, ...] = ()  # more fields to read and keep with each violation
    thresholds: Thresholds = Thresholds()
    owners: tuple[str, ...] = ()
    connections: tuple[str, ...] = ()  # () = every connection
    read: Literal["whole", "offenders"] = "whole"  # the read covers a whole scope (volume-guarded), or offenders only
    request: dict[str, str] = field(default_factory=dict)  # more query parameters, e.g. {"datum": "${today}"}
    triggers: tuple[str, ...] = ()  # evidences whose changes re-run it (checks/triggers.py); () = the defaults
    enabled: bool = True

    def title_in(self, language: str = "en") -> str:
        return self.title.get(language) or self.title.get("en") or next(iter(self.title.values()), self.name)

    def placeholders(self, parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What ``${name}`` may stand for: the built-ins (sample values before a run) and the parameters."""
        rules = RULE_PLACEHOLDERS if self.scope is not None and self.scope.rules else {}
        return {**SAMPLE, **rules, **self.parameters, **(parameters or {})}

    def compile(self, fields: Mapping[str, FieldType], values: Mapping[str, Any]) -> Predicate:
        return compile_predicate(self.predicate, fields, values)

    def paths(self) -> list[str]:
        """Every field path a run reads, in a stable order."""
        used = [*self.identity, self.label, self.quantity, self.unit, self.group, *template_fields(self.message)]
        used += self.detail
        return list(dict.fromkeys(path for path in used if path))

    def to_data(self) -> dict[str, Any]:
        """Plain data in :data:`KEYS` order, defaults left out: what export writes and :func:`parse` reads back."""
        data: dict[str, Any] = {"name": self.name, "title": _text_out(self.title)}
        if self.description:
            data["description"] = _text_out(self.description)
        data["evidence"] = self.evidence
        data |= {"filter": self.filter} if self.filter else {}
        data |= {"parameters": dict(self.parameters)} if self.parameters else {}
        data |= {"request": dict(self.request)} if self.request else {}
        data |= {"scope": self.scope.to_data()} if self.scope is not None else {}
        data |= {"predicate": self.predicate, "identity": list(self.identity)}
        texts = ("label", "quantity", "unit", "group", "message")
        data |= {key: getattr(self, key) for key in texts if getattr(self, key)}
        data |= {"detail": list(self.detail)} if self.detail else {}
        if self.thresholds != Thresholds():
            data["thresholds"] = {"critical": self.thresholds.critical, "high": self.thresholds.high}
            data["thresholds"]["medium"] = self.thresholds.medium
        data |= {"owners": list(self.owners)} if self.owners else {}
        data |= {"connections": list(self.connections)} if self.connections else {}
        data |= {"read": self.read} if self.read != "whole" else {}
        data |= {"triggers": list(self.triggers)} if self.triggers else {}
        return data | ({"enabled": False} if not self.enabled else {})


def template_fields(template: str) -> list[str]:
    return TEMPLATE_FIELD.findall(template)


def parse(data: Any, fields_of: FieldsOf | None) -> Definition:
    """A valid definition from plain data, or :class:`DefinitionError` with every problem found; field names are
    checked when ``fields_of`` is given (a stored version, already checked, is read back without)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, Mapping):
        raise DefinitionError({"definition": [_("must be a mapping of fields (name, title, evidence, predicate, …)")]})
    for key in data:
        if key not in KEYS:
            errors.setdefault(str(key), []).append(_("unknown field (known: %(known)s)") % {"known": ", ".join(KEYS)})
    parsed = _Reader(data, errors).definition()
    if fields_of is not None and not {"evidence", "predicate", "parameters"} & set(errors):
        found: dict[str, list[str]] = {}  # the fields' problems too, except where the shape was wrong already
        _check_fields(parsed, fields_of, found)
        errors.update({key: problems for key, problems in found.items() if key not in errors})
    if errors:
        raise DefinitionError(errors)
    return parsed


class _Reader:
    """Reads each field, recording problems instead of stopping at the first."""

    def __init__(self, data: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
        self.data, self.errors = data, errors

    def fail(self, key: str, problem: str) -> None:
        self.errors.setdefault(key, []).append(problem)

    def definition(self) -> Definition:
        hint = _("lower-case letters, digits, '.', '_', '-'")
        name = self.text("name", required=True, pattern=NAME, hint=hint)
        title = self.languages("title", required=True)
        evidence = self.text("evidence", required=True, pattern=EVIDENCE, hint=_("a Flexi evidence, e.g. cenik"))
        predicate = self.text("predicate", required=True)
        identity = self.paths("identity", required=True)
        values: dict[str, Any] = {
            "description": self.languages("description"),
            "filter": self.text("filter"),
            "parameters": self.parameters(),
            "scope": self.scope(),
            **{key: self.path(key) for key in ("label", "quantity", "unit", "group")},
            "message": self.text("message"),
            "detail": tuple(self.paths("detail")),
            "thresholds": self.thresholds(),
            "owners": tuple(self.strings("owners", pattern=re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"))),
            "connections": tuple(self.strings("connections", pattern=re.compile(r"^[-a-zA-Z0-9_]+$"))),
            "read": self.choice("read", READS, "whole"),
            "request": self.request(),
            "triggers": tuple(self.strings("triggers", pattern=EVIDENCE)),
            "enabled": self.flag("enabled", True),
        }
        return Definition(name, title, evidence, predicate, tuple(identity), **values)

    def text(self, key: str, *, required: bool = False, pattern: re.Pattern[str] | None = None, hint: str = "") -> str:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.fail(key, _("is required"))
            return ""
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            self.fail(key, _("must be text of at most %(max)d characters") % {"max": MAX_TEXT})
            return ""
        value = value.strip()
        if pattern is not None and not pattern.match(value):
            self.fail(key, _("%(value)s is not valid (%(hint)s)") % {"value": repr(value[:60]), "hint": hint})
        return value

    def languages(self, key: str, *, required: bool = False) -> dict[str, str]:
        value = self.data.get(key)
        if isinstance(value, str):
            value = {"en": value}
        if value in (None, "", {}):
            if required:
                self.fail(key, _("is required"))
            return {}
        if not isinstance(value, Mapping) or not all(
            lang in LANGUAGES and isinstance(text, str) and text.strip() and len(text) <= MAX_TEXT
            for lang, text in value.items()
        ):
            problem = _("must be text, or texts by language (%(languages)s)")
            self.fail(key, problem % {"languages": ", ".join(LANGUAGES)})
            return {}
        return {lang: value[lang].strip() for lang in LANGUAGES if lang in value}

    def strings(self, key: str, *, pattern: re.Pattern[str] | None = None, required: bool = False) -> list[str]:
        value = self.data.get(key)
        if value in (None, []):
            if required:
                self.fail(key, _("is required (a list)"))
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or len(value) > MAX_LIST or not all(isinstance(v, str) for v in value):
            self.fail(key, _("must be a list of at most %(max)d texts") % {"max": MAX_LIST})
            return []
        bad = [v for v in value if pattern is not None and not pattern.match(v.strip())]
        if bad:
            self.fail(key, _("%(value)s is not valid") % {"value": repr(bad[0][:60])})
        return list(dict.fromkeys(v.strip() for v in value))

    def paths(self, key: str, *, required: bool = False) -> list[str]:
        return self.strings(key, pattern=PATH, required=required)

    def path(self, key: str) -> str:
        return self.text(key, pattern=PATH, hint=_("a field, or relation.field"))

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> Any:
        value = self.data.get(key, default)
        if value not in allowed:
            self.fail(key, _("must be one of %(allowed)s") % {"allowed": ", ".join(allowed)})
            return default
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, _("must be true or false"))
            return default
        return value

    def parameters(self) -> dict[str, Any]:
        value = self.data.get("parameters") or {}
        if not isinstance(value, Mapping):
            self.fail("parameters", _("must be a mapping of names to default values"))
            return {}
        for name, default in value.items():
            if not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                self.fail("parameters", _("%(name)s is not a parameter name") % {"name": repr(str(name)[:40])})
            elif name in BUILT_IN_PLACEHOLDERS:
                problem = _("%(name)s is a built-in placeholder; choose another name")
                self.fail("parameters", problem % {"name": repr(name)})
            elif not _is_plain(default):
                problem = _("%(name)s: a default must be a number, text, true/false or a list of them")
                self.fail("parameters", problem % {"name": name})
        return dict(value)

    def scope(self) -> Scope | None:
        value = self.data.get("scope")
        if value is None:
            return None
        keys = set(value) if isinstance(value, Mapping) else set()
        if (
            not isinstance(value, Mapping)
            or keys - {"field", "parameter", "values"}
            or len(keys & {"field", "parameter"}) != 1
        ):
            self.fail(
                "scope", _("must be {field: <relation, e.g. sklad>, values: [codes], all or rules} (or parameter:)")
            )
            return None
        parameter = "parameter" in value
        field_name = value["parameter" if parameter else "field"]
        if not isinstance(field_name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", field_name):
            self.fail("scope", _("field must be a field name, e.g. sklad"))
            return None
        values = value.get("values", "all")
        if values in ("all", "rules"):
            if field_name != SCOPE_ALL_FIELD:
                kind = "parameter" if parameter else "field"
                problem = _("values: %(values)s takes warehouses: only for %(kind)s %(field)s")
                self.fail("scope", problem % {"values": values, "kind": kind, "field": SCOPE_ALL_FIELD})
            return Scope(field_name, parameter=parameter, rules=values == "rules")
        sub: dict[str, list[str]] = {}
        codes = _Reader({"values": values}, sub).strings("values", required=True)
        for problem in sub.get("values", []):
            self.fail("scope", f"values {problem}")
        if any(not code or len(code) > 64 for code in codes):
            self.fail("scope", _("values must be codes of at most %(max)d characters") % {"max": 64})
        return Scope(field_name, tuple(codes), parameter=parameter)

    def request(self) -> dict[str, str]:
        value = self.data.get("request") or {}
        if not isinstance(value, Mapping):
            self.fail("request", _("must be a mapping of query parameter names to values, e.g. {datum: ${today}}"))
            return {}
        found: dict[str, str] = {}
        for name, text in value.items():
            if not isinstance(name, str) or not REQUEST_NAME.match(name) or name in RESERVED_REQUEST:
                problem = _("%(name)s is not a query parameter a check may set")
                self.fail("request", problem % {"name": repr(str(name)[:40])})
            elif isinstance(text, bool) or not isinstance(text, str | int | float) or len(str(text)) > 200:
                problem = _("%(name)s: the value must be text or a number of at most %(max)d characters")
                self.fail("request", problem % {"name": name, "max": 200})
            else:
                found[name] = str(text)
        return found

    def thresholds(self) -> Thresholds:
        value = self.data.get("thresholds")
        if value is None:
            return Thresholds()
        levels = ("critical", "high", "medium")
        if not isinstance(value, Mapping) or set(value) - set(levels):
            problem = _("must be {critical: N, high: N, medium: N} (counts above which a level applies)")
            self.fail("thresholds", problem)
            return Thresholds()
        merged = {**Thresholds().__dict__, **value}
        if not all(isinstance(merged[k], int) and not isinstance(merged[k], bool) and merged[k] >= 0 for k in levels):
            self.fail("thresholds", _("each must be a whole number >= 0"))
            return Thresholds()
        found = Thresholds(**merged)
        if not found.critical >= found.high >= found.medium:
            problem = _("out of order: critical (%(critical)d) >= high (%(high)d) >= medium (%(medium)d) must hold")
            self.fail("thresholds", problem % {"critical": found.critical, "high": found.high, "medium": found.medium})
        return found


def _is_plain(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) <= MAX_LIST and all(_is_plain(item) and not isinstance(item, list) for item in value)
    if isinstance(value, float) and not math.isfinite(value):
        return False  # NaN compares false with everything: a check with it would pass every row
    return isinstance(value, str | int | float | bool) and (not isinstance(value, str) or len(value) <= MAX_TEXT)


def _text_out(texts: dict[str, str]) -> str | dict[str, str]:
    return texts["en"] if set(texts) == {"en"} else dict(texts)


def _check_fields(found: Definition, fields_of: FieldsOf, errors: dict[str, list[str]]) -> None:
    """Fields, placeholders and the predicate against the evidence's fields."""
    fields = fields_of(found.evidence)
    if fields is None:
        errors["evidence"] = [_("unknown evidence %(evidence)s") % {"evidence": repr(found.evidence)}]
        return
    try:
        found.compile(fields, found.placeholders())
    except PredicateError as exc:
        errors["predicate"] = [str(exc)]
    singles = [(key, [getattr(found, key)]) for key in ("label", "quantity", "unit", "group")]
    for key, paths in (("identity", found.identity), *singles):
        for path in filter(None, paths):
            _check_path(key, path, fields, errors)
    for path in template_fields(found.message):
        what = _("placeholder {…} must name a field, e.g. {cenik.kod}: ")
        _check_path("message", path, fields, errors, what=what)
    for path in found.detail:
        _check_path("detail", path, fields, errors)
    if found.quantity and fields.get(found.quantity) not in ("numeric", "integer"):
        problem = _("%(field)s is not a numeric field of %(evidence)s")
        errors.setdefault("quantity", []).append(problem % {"field": repr(found.quantity), "evidence": found.evidence})
    scope = found.scope
    if scope is not None and not scope.parameter and fields.get(scope.field) != "relation":
        problem = _("%(field)s is not a relation of %(evidence)s")
        errors.setdefault("scope", []).append(problem % {"field": repr(scope.field), "evidence": found.evidence})
    if scope is not None and scope.rules and set(found.parameters) & set(RULE_PLACEHOLDERS):
        taken = ", ".join(sorted(set(found.parameters) & set(RULE_PLACEHOLDERS)))
        problem = _("%(names)s: given by each warehouse rule; choose another name")
        errors.setdefault("parameters", []).append(problem % {"names": taken})
    for key, text in (("filter", found.filter), *(("request", value) for value in found.request.values())):
        for name in PLACEHOLDER.findall(text):
            if name not in found.placeholders():
                known = ", ".join(sorted(found.placeholders()))
                problem = _("unknown placeholder ${%(name)s} (known: %(known)s)") % {"name": name, "known": known}
                errors.setdefault(key, []).append(problem)
    problem = filter_shape_problem(found.filter)
    if problem:
        errors.setdefault("filter", []).append(problem)


def filter_shape_problem(text: str) -> str:
    """Why a filter's text could change shape once joined with a scope's condition or filled with values: an
    unclosed quote or parenthesis, or a placeholder inside quotes (it becomes a quoted literal itself)."""
    depth, quote, at = 0, "", 0
    while at < len(text):
        char = text[at]
        if quote:
            if char == "\\":
                at += 1
            elif char == quote:
                quote = ""
            elif text.startswith("${", at):
                problem = _("a placeholder inside quotes at column %(column)d: write ${name}, it is quoted for you")
                return problem % {"column": at + 1}
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return _("a ')' with no '(' at column %(column)d") % {"column": at + 1}
        at += 1
    if quote:
        return _("a quote is not closed")
    return _("a '(' is not closed") if depth else ""


def _check_path(
    key: str, path: str, fields: Mapping[str, FieldType], errors: dict[str, list[str]], what: str = ""
) -> None:
    match = PATH.match(path)
    if match is None:
        problem = _("%(path)s is not a field or relation.field") % {"path": repr(path[:60])}
        errors.setdefault(key, []).append(what + problem)
    elif match.group(1) not in fields:
        errors.setdefault(key, []).append(what + _("unknown field %(field)s") % {"field": repr(match.group(1))})
    elif match.group(2) and fields[match.group(1)] != "relation":
        problem = _("%(field)s is not a relation: it has no %(part)s")
        errors.setdefault(key, []).append(problem % {"field": repr(match.group(1)), "part": repr(match.group(2))})
