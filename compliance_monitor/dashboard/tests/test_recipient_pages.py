"""Issue 16, item 4 in the dashboard: /recipients/ lists who is notified and how; /recipients/<id>/ shows one and
changes its delivery policy and language — an admin any recipient of their companies, a user linked to a recipient
their own one only (another's is a 404), anyone else a 403 naming the admin role. Bad input is the form again with
the error at the field; the Apprise URL (a secret) is never shown; a change is in the configuration audit.

Shown failing: with ``reachable`` returning every recipient to a linked user (another's page answers 200), with
``form.changes`` passed to the recipient without ``set_policy`` (the bad time zone is stored), with the channels'
template printing ``apprise_url`` (the secret is in the page), and with the quiet hours left out of the list's row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client

from compliance_monitor.accounts.models import ConnectionAccess
from compliance_monitor.erp.models import Connection
from compliance_monitor.notifications.models import Recipient

SECRET = "slack://T000/B000/very-secret-token"


@pytest.fixture
def marta(db: None) -> Recipient:
    return Recipient.objects.create(
        name="Marta", email="marta@example.com", warehouses=["MATERIAL"], apprise_url=SECRET, medium_policy="immediate"
    )


@pytest.fixture
def linked(db: None) -> tuple[Client, Recipient]:
    """A user without a role, linked to the recipient "Petr" (of no warehouse: not a manager)."""
    user = get_user_model().objects.create_user("petr", "petr@example.com", "pw")
    recipient = Recipient.objects.create(name="Petr", email="petr@example.com", user=user, apprise_url=SECRET)
    client = Client()
    client.force_login(user)
    return client, recipient


def form_of(recipient: Recipient, **changes: str) -> dict[str, str]:
    """The page's form as the recipient's values fill it, with ``changes``."""
    clocks = {"digest_time": recipient.digest_time, "quiet_hours_start": recipient.quiet_hours_start}
    clocks["quiet_hours_end"] = recipient.quiet_hours_end
    data = {
        "high_policy": recipient.high_policy,
        "medium_policy": recipient.medium_policy,
        "low_policy": recipient.low_policy,
        "digest_cadence": recipient.digest_cadence,
        "time_zone": recipient.time_zone,
        "language": recipient.language,
        **{name: f"{value:%H:%M}" if value else "" for name, value in clocks.items()},
    }
    return data | changes


def field_errors(html: str, field: str) -> str:
    """The errors shown at one field of the form."""
    block = html.split(f'data-testid="field-{field}"')[1].split('data-testid="field-')[0]
    return block.split('class="errorlist', 1)[1] if 'class="errorlist' in block else ""


def test_an_admin_sets_medium_to_the_digest_with_quiet_hours_and_it_is_stored_shown_and_audited(
    as_role: Callable[[str], Client], marta: Recipient
) -> None:
    admin = as_role("admin")
    listed = admin.get("/recipients/").content.decode()
    assert "Marta" in listed and f"/recipients/{marta.pk}/" in listed
    page = admin.get(f"/recipients/{marta.pk}/").content.decode()
    assert "Critical alerts: always at once" in page and 'data-testid="recipient-form"' in page

    form = form_of(marta, medium_policy="digest", quiet_hours_start="22:00", quiet_hours_end="06:30")
    saved = admin.post(f"/recipients/{marta.pk}/", form)

    assert saved.status_code == 302 and saved["Location"] == f"/recipients/{marta.pk}/"
    marta.refresh_from_db()
    assert (marta.medium_policy, marta.quiet_hours_start, marta.quiet_hours_end) == ("digest", time(22), time(6, 30))
    assert marta.high_policy == "immediate" and marta.apprise_url == SECRET  # the rest as it was
    shown = admin.get(f"/recipients/{marta.pk}/").content.decode()
    assert 'value="22:00"' in shown and 'value="06:30"' in shown
    assert '<option value="digest" selected>' in shown.split('name="medium_policy"')[1].split("</select>")[0]
    row = admin.get("/recipients/").content.decode().split(f'data-testid="recipient-{marta.pk}"')[1].split("</tr>")[0]
    assert "22:00–06:30" in row and row.count("in the digest") == 2  # medium and low
    entry = LogEntry.objects.get_for_object(marta).latest("timestamp")
    assert entry.actor is not None and entry.actor.get_username() == "admin-user"
    assert set(entry.changes_dict) == {"medium_policy", "quiet_hours_start", "quiet_hours_end"}


def test_a_linked_user_changes_their_own_policy_but_not_anothers_nor_their_warehouses(
    linked: tuple[Client, Recipient], marta: Recipient
) -> None:
    client, petr = linked
    nav = client.get("/notifications/").content.decode()
    assert 'data-testid="my-notification-settings"' in nav and ">Recipients<" not in nav
    listed = client.get("/recipients/").content.decode()
    assert f"/recipients/{petr.pk}/" in listed and "My notifications settings" in listed and "Marta" not in listed

    form = form_of(petr, low_policy="immediate", quiet_hours_start="21:00", quiet_hours_end="07:00", language="cs")
    saved = client.post(f"/recipients/{petr.pk}/", {**form, "warehouses": "MATERIAL", "apprise_url": "json://evil"})

    assert saved.status_code == 302
    petr.refresh_from_db()
    assert (petr.low_policy, petr.quiet_hours_start, petr.language) == ("immediate", time(21), "cs")
    assert (petr.warehouses, petr.apprise_url) == ([], SECRET)  # not from this page
    assert client.get(f"/recipients/{marta.pk}/").status_code == 404
    assert client.post(f"/recipients/{marta.pk}/", form_of(marta, medium_policy="digest")).status_code == 404
    marta.refresh_from_db()
    assert marta.medium_policy == "immediate"


@pytest.mark.parametrize("role", ["viewer", "operator", "none"])
def test_anyone_else_is_refused_naming_the_admin_role(
    as_role: Callable[[str], Client], marta: Recipient, role: str
) -> None:
    client = as_role(role)
    for answer in (
        client.get("/recipients/"),
        client.get(f"/recipients/{marta.pk}/"),
        client.post(f"/recipients/{marta.pk}/", form_of(marta, medium_policy="digest")),
    ):
        assert answer.status_code == 403
        assert "this needs the admin role" in answer.content.decode()
    marta.refresh_from_db()
    assert marta.medium_policy == "immediate"
    assert "/recipients/" not in client.get("/notifications/").content.decode()  # no link in the header


def test_an_admin_limited_to_a_company_reaches_only_its_recipients(
    as_role: Callable[[str], Client], marta: Recipient
) -> None:
    a, b = (Connection.objects.create(name=name, company=name) for name in ("a", "b"))
    marta.connection = b
    marta.save()
    ours = Recipient.objects.create(name="Ours", connection=a)
    admin = as_role("admin")
    ConnectionAccess.objects.create(user=get_user_model().objects.get(username="admin-user"), connection=a)

    assert "Marta" not in admin.get("/recipients/").content.decode()
    assert admin.get(f"/recipients/{marta.pk}/").status_code == 404
    assert admin.get(f"/recipients/{ours.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("changes", "field", "said"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "unknown time zone"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end", "quiet hours need both a start and an end"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"}, "quiet_hours_end", "end at another time"),
        ({"digest_time": "25:00"}, "digest_time", "Enter a valid time"),
        ({"medium_policy": "weekly"}, "medium_policy", "Select a valid choice"),
        ({"language": "de"}, "language", "Select a valid choice"),
    ],
)
def test_bad_input_shows_the_form_again_with_the_error_at_its_field(
    as_role: Callable[[str], Client], marta: Recipient, changes: dict[str, str], field: str, said: str
) -> None:
    answer = as_role("admin").post(f"/recipients/{marta.pk}/", form_of(marta, **changes))

    assert answer.status_code == 422
    html = answer.content.decode()
    assert said in field_errors(html, field)
    assert [f for f in ("time_zone", "quiet_hours_end", "digest_time") if f != field and field_errors(html, f)] == []
    fresh = Recipient.objects.get(pk=marta.pk)
    assert (fresh.time_zone, fresh.quiet_hours_start) == ("", None)  # nothing stored
    assert SECRET not in html


def test_the_apprise_url_is_never_in_the_html(
    as_role: Callable[[str], Client], marta: Recipient, linked: tuple[Client, Recipient]
) -> None:
    client, petr = linked
    pages: list[Any] = [
        as_role("admin").get("/recipients/"),
        as_role("admin").get(f"/recipients/{marta.pk}/"),
        client.get("/recipients/"),
        client.get(f"/recipients/{petr.pk}/"),
        client.post(f"/recipients/{petr.pk}/", form_of(petr, time_zone="Nowhere/Else")),
    ]
    for answer in pages:
        html = answer.content.decode()
        assert SECRET not in html and "very-secret-token" not in html and "slack://" not in html
    assert "chat (through Apprise; its URL is not shown)" in pages[1].content.decode()
