"""Issue 15, group D in Czech: the checks list, a check's page and the job form show the rule library's titles in the
reader's language (a user's plain title as written); the connection page shows the test's steps in the reader's
language, whichever language the test ran in. English stays as it was.

The catalog is compiled from ``locale/cs/LC_MESSAGES/django.po`` into a temporary
``LOCALE_PATHS``, so the test does not depend on the merged catalog.

Shown failing by (each in turn): showing ``definition.title_in`` (English) in checks.html; returning
``definition.title_in("en")`` from ``checks/texts.py``'s ``title_in``; showing ``step.detail`` as stored in
``probe.detail_of``; showing ``step.name`` instead of ``step.label`` in connection.html.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone, translation

from compliance_monitor.checks import definitions, library
from compliance_monitor.checks.models import WarehouseRule
from compliance_monitor.dashboard.tests.pseudo import pseudo_locale, unmarked
from compliance_monitor.dashboard.tests.test_pseudo_locale import data_values
from compliance_monitor.erp import probe
from compliance_monitor.erp.models import Catalog, Connection

CZECH = {"HTTP_ACCEPT_LANGUAGE": "cs"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
DEMO = "/connections/demo/"


@pytest.fixture
def library_checks(db: None) -> None:
    library.install(now=timezone.now())


def page(client: Client, url: str, headers: dict[str, str]) -> str:
    answer = client.get(url, **headers)  # type: ignore[arg-type]
    assert answer.status_code == 200, (url, answer.status_code)
    return answer.content.decode()


def test_the_checks_page_shows_the_library_titles_in_czech_and_in_english(
    czech_catalog: None, library_checks: None, as_role: Callable[[str], Client]
) -> None:
    viewer = as_role("viewer")

    czech, english = page(viewer, "/checks/", CZECH), page(viewer, "/checks/", ENGLISH)

    assert "<td>Záporný stav skladu</td>" in czech and "<td>Negative stock</td>" not in czech
    assert "<td>Vydané faktury po splatnosti a neuhrazené</td>" in czech
    assert "<th>Název</th>" in czech and "<th>Původ</th>" in czech  # the page's own text, from the catalog
    assert "<td>Negative stock</td>" in english and "Záporný stav skladu" not in english
    assert "<th>Name</th>" in english and "<th>Origin</th>" in english


def test_a_check_page_and_the_job_form_name_a_check_by_its_title_in_the_readers_language(
    czech_catalog: None, library_checks: None, as_role: Callable[[str], Client]
) -> None:
    admin = as_role("admin")

    check_cs, check_en = page(admin, "/checks/stock.negative/", CZECH), page(admin, "/checks/stock.negative/", ENGLISH)
    job_cs, job_en = page(admin, "/jobs/new", CZECH), page(admin, "/jobs/new", ENGLISH)

    assert 'data-testid="check-title">Záporný stav skladu</p>' in check_cs and "Kontrola stock.negative" in check_cs
    assert 'data-testid="check-title">Negative stock</p>' in check_en and "Check stock.negative" in check_en
    assert "Záporný stav skladu (stock.negative)" in job_cs and "Negative stock (stock.negative)" not in job_cs
    assert "Negative stock (stock.negative)" in job_en
    assert definitions.titles("cs")["stock.negative"] == "Záporný stav skladu"
    assert definitions.titles("en")["stock.negative"] == "Negative stock"


def test_a_plain_title_a_user_wrote_is_shown_as_written_in_czech(
    czech_catalog: None, as_role: Callable[[str], Client]
) -> None:
    spec = {"name": "my.check", "title": "Mein eigener Titel", "evidence": "skladova-karta", "predicate": "stavMJ < 0"}
    definitions.create({**spec, "identity": ["cenik.kod"]}, now=timezone.now())

    czech = page(as_role("viewer"), "/checks/", CZECH)

    assert "<td>Mein eigener Titel</td>" in czech


def test_the_connection_page_shows_the_test_steps_in_the_readers_language(
    czech_catalog: None, as_role: Callable[[str], Client]
) -> None:
    operator = as_role("operator")
    assert operator.post(f"{DEMO}test", HTTP_ACCEPT_LANGUAGE="cs").status_code == 302  # the test runs in Czech…

    czech, english = page(operator, DEMO, CZECH), page(operator, DEMO, ENGLISH)  # …and is read in both

    steps_cs, steps_en = czech.split('data-testid="steps"')[1], english.split('data-testid="steps"')[1]
    assert "<td>dostupnost</td>" in steps_cs and "<td>skupiny zboží</td>" in steps_cs
    assert "<td>vestavěná demo firma: odpověděla v rámci procesu, bez sítě</td>" in steps_cs
    assert "<td>4 sklady (sklad) ve vestavěné demo firmě</td>" in steps_cs
    assert "✓ v pořádku" in steps_cs and "built-in demo company" not in steps_cs
    assert "<td>reachable</td>" in steps_en and "<td>goods_groups</td>" in steps_en
    assert "<td>built-in demo company: answered in-process, no network</td>" in steps_en
    assert "<td>4 warehouses (sklad) in the built-in demo company</td>" in steps_en
    assert "vestavěná" not in steps_en


def test_the_steps_are_said_in_czech_where_they_are_made_and_an_old_stored_detail_as_stored(
    czech_catalog: None, db: None
) -> None:
    with translation.override("cs"):
        result = probe.test_connection(Connection.objects.get(name="demo"), now=timezone.now())
        old = probe.shown_steps({"ok": True, "steps": [{"name": "company", "ok": True, "detail": "as stored"}]})
    with translation.override("en"):
        again = probe.shown_steps(result.as_json())

    assert result.steps[1].detail == "vestavěná demo firma: nejsou potřeba"  # what the API answers in Czech
    assert [(s.label, s.detail) for s in old] == [("firma", "as stored")]
    assert again[1].detail == "built-in demo company: none needed" and again[1].label == "credentials"


def test_a_tested_connection_with_its_catalog_read_shows_only_marked_text_or_data(
    as_role: Callable[[str], Client],
) -> None:
    """The pseudo-locale test's pages, in the states its installation does not reach: steps, catalog, rule form."""
    admin = as_role("admin")
    rule = WarehouseRule.objects.filter(connection__name="demo").first()
    assert rule is not None
    found: list[str] = []
    with pseudo_locale():
        for action in ("test", "catalog/refresh"):  # their messages are shown on the next page, in Czech too
            assert admin.post(f"{DEMO}{action}", HTTP_ACCEPT_LANGUAGE="cs").status_code == 302
        catalog = Catalog.objects.get(connection__name="demo")  # what the ERP holds: data
        data = data_values() | {
            str(entry.get("name"))
            for entries in (catalog.warehouses, catalog.goods_groups, catalog.product_types)
            for entry in entries
        }
        for url in (DEMO, f"{DEMO}rules/add", f"{DEMO}rules/{rule.pk}/edit"):
            found += unmarked(page(admin, url, CZECH), data)
    assert not found, sorted(set(found))


def test_a_check_preview_shows_only_marked_text_or_data(library_checks: None, as_role: Callable[[str], Client]) -> None:
    admin = as_role("admin")
    text = admin.get("/checks/stock.negative/").context["text"]
    with pseudo_locale():
        answer = admin.post(
            "/checks/stock.negative/", {"definition": text, "action": "preview"}, HTTP_ACCEPT_LANGUAGE="cs"
        )
        preview = answer.context["preview"]
        shown = {str(v[key]) for v in preview["violations"] for key in ("label", "message")}  # what the ERP holds
        found = unmarked(answer.content.decode(), data_values() | shown)
    assert answer.status_code == 200 and preview["scopes"], answer.status_code
    assert not found, sorted(set(found))
