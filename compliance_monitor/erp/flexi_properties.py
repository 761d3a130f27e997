"""Field metadata of the evidences the local Flexi-format server serves, and the ``detail``/``includes`` shapes.

User-defined checks ("checks as data") name fields, so they must be validated against what the ERP says it has:
``GET /c/<co>/<evidence>/properties.json``. This module holds that metadata and renders it in Flexi's shape::

    {"properties": {"property": [
        {"propertyName": "stavMJ", "name": "Stav zásob v MJ", "title": "Stav zásob v MJ", "type": "numeric",
         "inSummary": "false", "mandatory": "false", "isVisible": "true", "isSortable": "true"},
        {"propertyName": "cenik", ..., "type": "relation", "fkEvidencePath": "cenik"},
        {"propertyName": "typZasobyK", ..., "type": "select",
         "values": {"value": [{"@key": "typZasoby.zbozi", "$": "Zboží"}, ...]}}, ...]}}

Where it came from: the public client Spoje-NET/php-abraflexi reads this answer as ``$answer['properties']
['property']`` (``RO::getOnlineColumnsInfo``, and the older FlexiPeeHP ``getPropertiesInfo`` script) and stores
each property, keyed by ``propertyName``, in ``static/Properties.<evidence>.json``; the field facts below (names,
types, ``inSummary``, ``mandatory``, ``fkEvidencePath``, select values) are copied from those files for
``skladova-karta``, ``cenik``, ``faktura-vydana`` and ``ucetni-obdobi``. Flags are the strings "true"/"false",
as in those files. *Unverified*: whether the live answer is also wrapped in ``{"winstrom": …}`` (that client
strips a ``winstrom`` key when present, so its code cannot tell) — we answer unwrapped; the properties of
``sklad``, ``skupina-zbozi`` and ``stav-skladu-k-datu`` (not checked against their files: ``id``/``kod``/
``nazev`` and the stock fields we always served, all in summary); ``nazev`` of ``ucetni-obdobi`` is ours (the
real evidence has no such field). Real ``skladova-karta`` has ``id`` outside the summary; ``id`` is sent anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compliance_monitor.erp.synthetic import Typing

Selection = list[tuple[str, tuple[str, ...] | None, bool]]  # field, sub-fields asked of a relation, is a relation


@dataclass(frozen=True)
class Prop:
    name: str
    title: str
    type: str  # integer, numeric, string, date, datetime, logic, select, relation
    summary: bool = True
    mandatory: bool = False
    fk: str | None = None  # fkEvidencePath of a relation
    values: tuple[tuple[str, str], ...] = ()  # (key, label) of a select


ID = Prop("id", "ID", "integer")
CODE, NAME = Prop("kod", "Zkratka", "string", mandatory=True), Prop("nazev", "Název", "string", mandatory=True)
STOCK_TYPES = (
    ("typZasoby.zbozi", "Zboží"),
    ("typZasoby.material", "Materiál"),
    ("typZasoby.nedvyroba", "Nedokončená výroba"),
    ("typZasoby.polotovar", "Polotovar"),
    ("typZasoby.vyrobek", "Výrobek"),
    ("typZasoby.zvire", "Zvíře"),
    ("typZasoby.sluzba", "Služba"),
    ("typZasoby.poplatek", "Poplatek"),
)
PAYMENT_STATES = (
    ("stavUhr.castUhr", "Částečně uhrazeno"),
    ("stavUhr.uhrazeno", "Uhrazeno"),
    ("stavUhr.uhrazenoRucne", "Uhrazeno (ručně)"),
)
PROPERTIES: dict[str, tuple[Prop, ...]] = {
    "sklad": (ID, CODE, NAME),
    "skupina-zbozi": (ID, CODE, NAME),
    "ucetni-obdobi": (
        ID,
        CODE,
        Prop("nazev", "Název", "string"),
        Prop("platiOdData", "Platí od data", "date", summary=False, mandatory=True),
        Prop("platiDoData", "Platí do data", "date", summary=False, mandatory=True),
    ),
    "stav-skladu-k-datu": (
        ID,
        Prop("cenik", "Ceník", "relation", fk="cenik"),
        Prop("skupZboz", "Skupina zboží", "relation", fk="skupina-zbozi"),
        Prop("mj1", "MJ", "relation", fk="merna-jednotka"),
        Prop("stavMJ", "Stav zásob v MJ", "numeric"),
        Prop("stavMJPozad", "Stav zásob v MJ s požadavky", "numeric"),
        Prop("prumCena", "Průměrná cena", "numeric"),
    ),
    "skladova-karta": (
        Prop("id", "ID", "integer", summary=False),
        Prop("sklad", "Sklad", "relation", mandatory=True, fk="sklad"),
        Prop("cenik", "Ceník", "relation", mandatory=True, fk="cenik"),
        Prop("ucetObdobi", "Účetní období", "relation", mandatory=True, fk="ucetni-obdobi"),
        Prop("stavMJ", "Stav zásob v MJ", "numeric", summary=False),
        Prop("minMJ", "Min. zásoba MJ", "numeric", summary=False),
        Prop("maxMJ", "Maximum", "numeric", summary=False),
        Prop("rezervMJ", "Rezervováno MJ", "numeric", summary=False),
        Prop("dostupMj", "Dostupné množství", "numeric", summary=False),
    ),
    "cenik": (
        ID,
        Prop("kod", "Kód/zkratka", "string", mandatory=True),
        NAME,
        Prop("typZasobyK", "Typ zásoby", "select", summary=False, mandatory=True, values=STOCK_TYPES),
        Prop("skupZboz", "Skupina zboží", "relation", summary=False, fk="skupina-zbozi"),
        Prop("skladove", "Skladové", "logic", summary=False),
        Prop("mj1", "MJ", "relation", summary=False, fk="merna-jednotka"),
    ),
    "faktura-vydana": (
        ID,
        Prop("kod", "Interní číslo", "string", mandatory=True),
        Prop("firma", "Firma", "relation", fk="adresar"),
        Prop("datVyst", "Vystaveno", "date", mandatory=True),
        Prop("datSplat", "Splatnost", "date"),
        Prop("sumCelkem", "Celkem [Kč]", "numeric"),
        Prop("zbyvaUhradit", "Zbývá uhradit [Kč]", "numeric"),
        Prop("stavUhrK", "Stav úhrady", "select", values=PAYMENT_STATES),
        Prop("storno", "Storno", "logic", summary=False),
        Prop("mena", "Měna", "relation", fk="mena"),
    ),
}
UNSERVED_TARGET = frozenset({"id", "kod", "nazev"})  # what a relation to an evidence we do not serve carries


def properties(evidence: str) -> tuple[Prop, ...] | None:
    return PROPERTIES.get(evidence)


def answer(evidence: str) -> dict[str, Any]:
    """The ``properties.json`` answer (shape and sources in the module docstring)."""
    return {"properties": {"property": [_described(prop) for prop in PROPERTIES[evidence]]}}


def _described(prop: Prop) -> dict[str, Any]:
    flag = {True: "true", False: "false"}
    described: dict[str, Any] = {"propertyName": prop.name, "name": prop.title, "title": prop.title}
    described.update(type=prop.type, inSummary=flag[prop.summary], mandatory=flag[prop.mandatory])
    described.update(isVisible="true", isSortable="true")
    if prop.fk:
        described["fkEvidencePath"] = prop.fk
    if prop.values:
        described["values"] = {"value": [{"@key": key, "$": label} for key, label in prop.values]}
    return described


def known_path(evidence: str, path: tuple[str, ...]) -> bool:
    """Whether ``cenik.skupZboz.kod``-like paths exist: each step but the last must be a relation."""
    fields = {prop.name: prop for prop in PROPERTIES.get(evidence, ())}
    head, *rest = path
    prop = fields.get(head)
    if prop is None or (rest and prop.fk is None):
        return False
    if not rest:
        return True
    assert prop.fk is not None
    if prop.fk not in PROPERTIES:
        return len(rest) == 1 and rest[0] in UNSERVED_TARGET
    return known_path(prop.fk, tuple(rest))


def selection(evidence: str, detail: str) -> Selection:
    """``summary`` (default), ``full``, ``id`` or ``custom:a,b,rel(x,y)``; ``id`` always comes first.

    Unknown fields in ``custom:`` are left out, as a lenient server would."""
    props = PROPERTIES[evidence]
    if detail == "full":
        return [(prop.name, None, prop.fk is not None) for prop in props]
    if detail.startswith("custom:"):
        asked = dict(_custom(detail.removeprefix("custom:")))
        chosen = [p for p in props if p.name in asked and p.name != "id"]
        return [("id", None, False)] + [(p.name, asked[p.name], p.fk is not None) for p in chosen]
    if detail == "id":
        return [("id", None, False)]
    return [(prop.name, None, prop.fk is not None) for prop in props if prop.summary or prop.name == "id"]


def _custom(spec: str) -> list[tuple[str, tuple[str, ...] | None]]:
    """``a,b,rel(x,y)`` → [("a", None), ("b", None), ("rel", ("x", "y"))] (commas inside brackets kept)."""
    items, depth, start = [], 0, 0
    for position, char in enumerate(spec + ","):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(spec[start:position].strip())
            start = position + 1
    parsed: list[tuple[str, tuple[str, ...] | None]] = []
    for item in filter(None, items):
        name, _, inner = item.partition("(")
        subs = tuple(sub.strip().partition("(")[0] for sub in _custom_inner(inner)) if inner else None
        parsed.append((name.strip(), subs))
    return parsed


def _custom_inner(inner: str) -> list[str]:
    return [name for name, _ in _custom(inner.removesuffix(")"))]


def includes(value: str | None) -> frozenset[str]:
    """``/skladova-karta/cenik,/skladova-karta/sklad`` → {"cenik", "sklad"}: the relations to expand."""
    return frozenset(path.rstrip("/").rsplit("/", 1)[-1] for path in (value or "").split(",") if path.strip())


def shape(row: Mapping[str, Any], chosen: Selection, expanded: frozenset[str], typing: Typing) -> dict[str, Any]:
    """A full row as Flexi sends it: relations as ``code:X`` (``""`` when empty) unless expanded (a list of one
    object, empty when there is none); numbers and logic values as strings with ``typing="string"``."""
    shaped: dict[str, Any] = {}
    for name, subs, relation in chosen:
        value = row.get(name)
        if relation and name in expanded:
            keys = subs or tuple(value or ())
            shaped[name] = [{key: _value(value.get(key), typing) for key in keys if key in value}] if value else []
        elif relation:
            shaped[name] = f"code:{value['kod']}" if value else ""
        else:
            shaped[name] = _value(value, typing)
    return shaped


def _value(value: Any, typing: Typing) -> Any:
    """Numbers and logic values typed; anything else (text, null, what an odd ERP sends) as it is."""
    if isinstance(value, dict) and "kod" in value:  # a relation inside an expanded one
        return f"code:{value['kod']}"
    if typing == "native" or not isinstance(value, int | float):
        return value
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
