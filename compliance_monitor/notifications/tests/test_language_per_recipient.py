"""Issue 15: each recipient reads their notifications in their language (blank: the installation's LANGUAGE_CODE).

The same alert, rendered from its stored facts when it is sent, reads in Czech for one manager and in English for
another; Czech dates (``1. 6. 2026 10:00``) and plural forms (``5 … produktů``); the original reports' offenders
(``P000 (1ks)``) as they were written. The Czech catalog is compiled from ``django.po`` (the notifications' messages and
group C's alert texts) into a temporary LOCALE_PATHS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import override_settings
from django.utils import timezone

from compliance_monitor.alerts.escalation import escalate_due
from compliance_monitor.alerts.models import Alert
from compliance_monitor.alerts.tests.conftest import outcome
from compliance_monitor.api import tokens
from compliance_monitor.api.tests.conftest import Api
from compliance_monitor.jobs.models import Execution
from compliance_monitor.notifications import digests, outbox, sender
from compliance_monitor.notifications.models import Delivery, InboxMessage, Recipient
from compliance_monitor.notifications.tests.conftest import AT_ONCE, T0, Inbox

COMPANY = "(Built-in demo company)"


@pytest.fixture
def czech(czech_catalog: Path) -> Iterator[None]:
    """The Czech catalog (the root conftest's ``czech_catalog``), compiled from ``django.po`` as it is now."""
    yield


def person(name: str, language: str, **fields: object) -> Recipient:
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw")
    return Recipient.objects.create(name=name, email=f"{name}@example.com", user=user, language=language, **fields)


def subject(mail: Message) -> str:
    return str(make_header(decode_header(mail["Subject"]))).replace("\r\n", "")


def body(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(mail.get_content_charset() or "utf-8").replace("\r\n", "\n")


def test_one_alert_reaches_a_czech_manager_in_czech_and_an_english_one_in_todays_english(
    czech: None, smtp: Inbox, raise_alert: Callable[..., Alert]
) -> None:
    """Two managers of MATERIAL, one Czech and one English, and one alert of 5 products: a real SMTP server gets a
    Czech e-mail (Czech plural, date, labels; the offenders as the report wrote them) and exactly today's English
    one; each one's inbox reads as their e-mail. Shown failing with ``outbox._deliveries`` rendering once for all
    recipients (``rendered`` without the ``override``: both get English)."""
    jana = person("jana", "cs", warehouses=["MATERIAL"], **AT_ONCE)
    john = person("john", "en", warehouses=["MATERIAL"], **AT_ONCE)
    alert = raise_alert("MATERIAL", count=5)

    assert sender.send_due(now=T0) == 4  # two e-mails, two inbox messages
    assert smtp.received.wait(2)
    mails = {mail["To"]: mail for mail in smtp.messages}
    assert set(mails) == {"jana@example.com", "john@example.com"}

    czech_mail, english_mail = mails["jana@example.com"], mails["john@example.com"]
    assert subject(czech_mail) == f"[STŘEDNÍ] 5 chybně zařazených produktů ve skladu MATERIAL {COMPANY}"
    text = body(czech_mail)
    assert text.startswith(f"5 chybně zařazených produktů ve skladu MATERIAL {COMPANY}\n\n")
    for line in (
        "Závažnost:  střední",
        "Sklad:      MATERIAL",
        "Porušení:   5",
        "Zjištěno:   1. 6. 2026 10:00:00 CEST",
        f"Běh:        {alert.execution_id}",
        f"Upozornění: #{alert.pk} (otevřené)",
        "Nevyhovující produkty: P000 (1ks), P001 (1ks), P002 (1ks), P003 (1ks), P004 (1ks)",
    ):
        assert f"\n{line}\n" in text, line
    assert "Severity" not in text and "misplaced" not in text

    assert subject(english_mail) == f"[MEDIUM] 5 misplaced products in warehouse MATERIAL {COMPANY}"
    offenders = "P000 (1ks), P001 (1ks), P002 (1ks), P003 (1ks), P004 (1ks)"
    assert body(english_mail) == (
        f"5 misplaced products in warehouse MATERIAL {COMPANY}\n\n"
        "Severity:   medium\n"
        "Warehouse:  MATERIAL\n"
        "Violations: 5\n"
        "Found at:   2026-06-01 10:00:00 CEST\n"
        f"Execution:  {alert.execution_id}\n"
        f"Alert:      #{alert.pk} (open)\n\n"
        f"Offenders: {offenders}\n\n"
        f"MaterialWarehouseInvalidProductsReport: {offenders}\n"
    )

    # The in-app inbox: the recipient's language (not what the signed-in user chose for the dashboard).
    assert InboxMessage.objects.get(user=jana.user).title == subject(czech_mail)
    assert InboxMessage.objects.get(user=john.user).title == subject(english_mail)


def test_a_recipient_without_a_language_reads_the_installations(czech: None, raise_alert: Callable[..., Alert]) -> None:
    """Blank: LANGUAGE_CODE (cs or en). Shown failing with ``policy.language`` returning "en" for a blank one."""
    Recipient.objects.create(name="team", email="team@example.com", warehouses=["MATERIAL"], **AT_ONCE)
    with override_settings(LANGUAGE_CODE="cs"):
        raise_alert("MATERIAL", count=12)
    raise_alert("ZBOZI", count=2, hour=1)  # nobody manages ZBOZI: not sent
    (delivery,) = Delivery.objects.all()
    assert delivery.subject == f"KRITICKÉ: 12 chybně zařazených produktů ve skladu MATERIAL {COMPANY}"
    assert "… a" not in delivery.body  # 12 offenders: all listed

    Recipient.objects.filter(name="team").update(warehouses=["MATERIAL", "ZBOZI"])
    raise_alert("ZBOZI", count=25, hour=2)  # LANGUAGE_CODE is en again
    english = Delivery.objects.get(alert__warehouse="ZBOZI")
    assert english.subject == f"CRITICAL: 25 misplaced products in warehouse ZBOZI {COMPANY}"
    assert "P019 (1ks) … and 5 more\n" in english.body


def test_an_escalation_reads_in_czech_for_a_czech_escalation_contact(
    czech: None, raise_alert: Callable[..., Alert]
) -> None:
    """The escalation notice of an alert an English manager was told of goes to a Czech boss in Czech."""
    Recipient.objects.create(name="marta", email="marta@example.com", warehouses=["MATERIAL"], language="en")
    Recipient.objects.create(name="boss", email="boss@example.com", is_escalation_contact=True, language="cs")
    raise_alert("MATERIAL", count=25)

    assert escalate_due(now=T0 + timedelta(hours=2)) == 1

    (first,) = Delivery.objects.exclude(reason=outbox.ESCALATION)
    assert first.subject == f"CRITICAL: 25 misplaced products in warehouse MATERIAL {COMPANY}"
    (escalation,) = Delivery.objects.filter(reason=outbox.ESCALATION)
    assert escalation.recipient is not None and escalation.recipient.name == "boss"
    assert escalation.subject == (
        f"KRITICKÉ: ESKALOVÁNO, nikdo nepotvrdil: 25 chybně zařazených produktů ve skladu MATERIAL {COMPANY}"
    )
    assert "Závažnost:  kritická\n" in escalation.body
    assert "P019 (1ks) … a 5 dalších\n" in escalation.body  # 5 products more than the 20 listed


@override_settings(CM_PUBLIC_URL="https://cm.example.com")
def test_a_czech_managers_digest_is_in_czech_by_mail_and_in_the_inbox(
    czech: None, smtp: Inbox, run: Callable[..., Execution]
) -> None:
    """An hourly digest of two medium alerts for a Czech manager: the subject, the headline, the company and
    warehouse headings, each alert's line and its changes in Czech with Czech dates. Shown failing with
    ``render_digest`` and ``digest_sections`` not overriding the language (an English digest)."""
    jana = person("jana", "cs", warehouses=["MATERIAL", "ZBOZI"])
    run(0, outcome("MATERIAL", "P1", "P2", "P3", "P4", "P5"), outcome("ZBOZI", "P1", "P2"))
    material, zbozi = Alert.objects.get(warehouse="MATERIAL"), Alert.objects.get(warehouse="ZBOZI")

    (digest,) = digests.close_due(now=T0 + timedelta(hours=1, seconds=5))
    sender.send_due(now=T0 + timedelta(hours=1, seconds=5))

    assert smtp.received.wait(2)
    (mail,) = smtp.messages
    assert subject(mail) == "Přehled: 2 upozornění, 1. 6. 2026 10:00–11:00 CEST"
    assert body(mail) == (
        "Co se stalo v období 1. 6. 2026 10:00–11:00 CEST (2 nová).\n\n"
        "Firma: Built-in demo company (demo)\n\n"
        "  Sklad MATERIAL\n"
        f"    [STŘEDNÍ] 5 chybně zařazených produktů ve skladu MATERIAL {COMPANY} — #{material.pk}, otevřené\n"
        "      vyvoláno 10:00 (střední)\n"
        f"      https://cm.example.com/alerts/{material.pk}/\n\n"
        "  Sklad ZBOZI\n"
        f"    [STŘEDNÍ] 2 chybně zařazené produkty ve skladu ZBOZI {COMPANY} — #{zbozi.pk}, otevřené\n"
        "      vyvoláno 10:00 (střední)\n"
        f"      https://cm.example.com/alerts/{zbozi.pk}/\n"
    )
    (message,) = InboxMessage.objects.filter(user=jana.user)
    assert message.title == subject(mail)
    assert message.body.startswith("Firma: Built-in demo company (demo)\n\n  Sklad MATERIAL\n")
    assert digest.deliveries.count() == 2


@pytest.fixture
def admin(db: None) -> Api:
    user = get_user_model().objects.create_user("admin-user", "admin@example.com", "pw")
    user.groups.add(Group.objects.get(name="admin"))
    return Api(tokens.create(user, name="tests", now=timezone.now())[1])


def test_the_api_reads_and_sets_a_recipients_language_and_names_an_unknown_one(admin: Api) -> None:
    """Shown failing with the router not passing the language on (the PATCH answers 200 and nothing changes)."""
    jana = Recipient.objects.create(name="Jana", email="jana@example.com", warehouses=["MATERIAL"])
    assert admin.call("GET", f"/recipients/{jana.pk}").json()["language"] == ""  # the installation's

    changed = admin.call("PATCH", f"/recipients/{jana.pk}", {"language": "cs", "medium_policy": "immediate"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["language"], changed.json()["medium_policy"]) == ("cs", "immediate")
    jana.refresh_from_db()
    assert (jana.language, jana.medium_policy) == ("cs", "immediate")

    for bad in ("de", "cz"):
        answer = admin.call("PATCH", f"/recipients/{jana.pk}", {"language": bad, "low_policy": "immediate"})
        assert answer.status_code == 422, answer.content
        assert [problem["loc"] for problem in answer.json()["detail"]] == [["body", "language"]]
    jana.refresh_from_db()
    assert (jana.language, jana.low_policy) == ("cs", "digest")  # nothing of a refused change is kept

    assert admin.call("PATCH", f"/recipients/{jana.pk}", {"language": ""}).json()["language"] == ""
    assert admin.call("PATCH", f"/recipients/{jana.pk}", {"language": None}).json()["language"] == ""
