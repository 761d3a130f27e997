"""Issue 15: an alert's texts are rendered when shown, from its stored facts, in the active language
(``alerts/texts/``). In English they equal what ``raising.py`` stores; in Czech they take Czech plural forms
(1 produkt, 2 produkty, 5 produktů); a shape not known falls back to the stored text.

Shown failing: with ``"%(count)s misplaced products …"`` passed as the singular too in ``_compliance_title`` (the
English one-product title then reads "1 misplaced products", and Czech loses its forms); with ``_failure_title``
returning ``None`` for a failed run (the Czech job-failure title stays English); with the Czech plural forms of the
misplaced-product title swapped in the catalog."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from compliance_monitor.alerts import texts
from compliance_monitor.alerts.models import Alert, AlertType, EventKind
from compliance_monitor.alerts.tests.conftest import codes, outcome
from compliance_monitor.checks.base import WHOLE_EVIDENCE
from compliance_monitor.dashboard.templatetags.dashboard import detail_text
from compliance_monitor.jobs.models import Execution, Status


def guarded(warehouse: str, rows: int, *violations: str):
    return replace(outcome(warehouse, *violations), rows_read=rows, volume_guard=True, rows_label="stock rows")


def fresh(alert: Alert) -> Alert:
    """The alert as a page reads it: no facts cached on the instance."""
    return Alert.objects.get(pk=alert.pk)


def rebuilt(alert: Alert) -> str:
    """Its title rebuilt from its facts alone: the stored one blanked, so no fallback can pass for it."""
    found = fresh(alert)
    found.title = ""
    return texts.title(found)


@pytest.fixture
def czech(czech_catalog: Path) -> Iterator[None]:
    """The Czech catalog (the root conftest's ``czech_catalog``), active for the test."""
    with translation.override("cs"):
        yield


def test_in_english_a_compliance_alert_reads_as_raising_stored_it(run) -> None:
    run(0, outcome("MATERIAL", *codes(1)), outcome("ZBOZI", *codes(12)))
    one, twelve = Alert.objects.get(warehouse="MATERIAL"), Alert.objects.get(warehouse="ZBOZI")

    assert one.title == "1 misplaced product in warehouse MATERIAL (Built-in demo company)"
    assert texts.title(fresh(one)) == rebuilt(one) == one.title
    assert twelve.title == "12 misplaced products in warehouse ZBOZI (Built-in demo company)"
    assert texts.title(fresh(twelve)) == rebuilt(twelve) == twelve.title
    assert [texts.title(a) for a in texts.prime([fresh(one), fresh(twelve)])] == [one.title, twelve.title]
    assert texts.message(fresh(twelve)) == twelve.message  # the original report's offenders, as it wrote them
    assert twelve.legacy_text.startswith("P000 (1ks), P001 (1ks)")


def test_in_english_a_definition_checks_alert_reads_as_raising_stored_it(run) -> None:
    titled = replace(outcome("ZBOZI", *codes(1)), title="Negative stock in ZBOZI")
    whole = replace(outcome(WHOLE_EVIDENCE, *codes(3)), title="Overdue invoices")
    run(0, titled, whole)
    one, three = Alert.objects.get(warehouse="ZBOZI"), Alert.objects.get(warehouse=WHOLE_EVIDENCE)

    assert one.title == "Negative stock in ZBOZI: 1 finding in ZBOZI (Built-in demo company)"
    assert texts.title(fresh(one)) == rebuilt(one) == one.title
    assert three.title == "Overdue invoices: 3 findings (Built-in demo company)"
    assert texts.title(fresh(three)) == rebuilt(three) == three.title


@pytest.mark.parametrize("status", [Status.FAILED, Status.TIMED_OUT, Status.ABANDONED])
def test_in_english_a_job_failure_reads_as_raising_stored_it(run, status: Status) -> None:
    run(0, status=status, error="ERP unreachable")
    alert = Alert.objects.get(type=AlertType.JOB_FAILURE)

    assert alert.title.startswith("Job compliance ")
    assert texts.title(fresh(alert)) == rebuilt(alert) == alert.title
    assert texts.message(fresh(alert)) == alert.message == "Err: ERP unreachable"  # the error, as it was raised


def test_in_english_a_volume_alert_reads_as_raising_stored_it(run) -> None:
    run(0, guarded("ZBOZI", 4000))
    run(1, guarded("ZBOZI", 5))
    alert = Alert.objects.get(type=AlertType.SYSTEM_ERROR)

    assert alert.title == "ZBOZI returned 5 stock rows, usually about 4,000"
    assert texts.title(fresh(alert)) == alert.title  # the guard's note is its own fact: rebuilt in Czech below
    assert texts.message(fresh(alert)) == alert.message


def test_a_shape_not_known_or_whose_facts_are_gone_keeps_its_stored_text(run) -> None:
    run(0, outcome("MATERIAL", *codes(2)))
    alert = Alert.objects.get()
    Alert.objects.filter(pk=alert.pk).update(title="Stored title", message="Stored message")
    Execution.objects.all().delete()  # the run, and its result with the check's title, are gone
    gone = fresh(alert)
    odd = Alert(type=AlertType.SYSTEM_ERROR, fingerprint="other", title="Something else", message="As stored")

    assert (texts.title(gone), texts.message(gone)) == ("Stored title", "Stored message")
    assert (texts.title(odd), texts.message(odd)) == ("Something else", "As stored")


def test_in_czech_an_alert_reads_in_czech_with_czech_plural_forms(run, czech: None) -> None:
    run(0, outcome("MATERIAL", *codes(5)), outcome("ZBOZI", *codes(2)), outcome("BALENI", *codes(1)))
    five, two, one = (fresh(Alert.objects.get(warehouse=w)) for w in ("MATERIAL", "ZBOZI", "BALENI"))

    assert texts.title(five) == "5 chybně zařazených produktů ve skladu MATERIAL (Built-in demo company)"
    assert texts.title(two) == "2 chybně zařazené produkty ve skladu ZBOZI (Built-in demo company)"
    assert texts.title(one) == "1 chybně zařazený produkt ve skladu BALENI (Built-in demo company)"
    rendered = Template("{% load alert_texts %}{{ alert|alert_title }}").render(Context({"alert": five}))
    assert rendered.startswith("5 ") and "produktů" in rendered
    assert five.title == "5 misplaced products in warehouse MATERIAL (Built-in demo company)"  # stored: unchanged


def test_in_czech_a_definition_check_a_job_failure_and_a_volume_alert_read_in_czech(run, czech: None) -> None:
    run(0, replace(outcome("ZBOZI", *codes(5)), title="Záporný stav"), guarded("MATERIAL", 4000))
    run(1, guarded("MATERIAL", 3), status=Status.FAILED, error="ERP unreachable")
    definition = fresh(Alert.objects.get(warehouse="ZBOZI"))
    failure = fresh(Alert.objects.get(type=AlertType.JOB_FAILURE))
    volume = fresh(Alert.objects.get(type=AlertType.SYSTEM_ERROR))

    assert texts.title(definition) == "Záporný stav: 5 nálezů ve skladu ZBOZI (Built-in demo company)"  # as written
    assert texts.title(failure) == "Úloha compliance selhala"
    assert texts.title(volume) == "MATERIAL vrátil 3 řádky stavu skladu, obvykle asi 4\xa0000"
    assert texts.message(volume).startswith("MaterialWarehouseInvalidProductsReport: počet načtených řádků se propadl")


def test_the_alert_history_reads_as_sentences_in_the_active_language(run, czech: None) -> None:
    run(0, outcome("MATERIAL", *codes(1)))
    second = run(1, outcome("MATERIAL", *codes(2)))
    updated = Alert.objects.get().events.get(kind=EventKind.UPDATED)

    assert detail_text(updated.detail, updated.kind) == f"Běh {second.pk} ho zjistil znovu, s 2 porušeními."
    assert texts.type_label(AlertType.COMPLIANCE_VIOLATION) == "Porušení pravidel"
    assert texts.event_label(EventKind.AUTO_RESOLVED) == "Vyřešeno automaticky"
    with translation.override("en"):
        assert detail_text(updated.detail, updated.kind) == f"Run {second.pk} found it again, with 2 violations."
        assert texts.type_label(AlertType.COMPLIANCE_VIOLATION) == "Compliance Violation"
