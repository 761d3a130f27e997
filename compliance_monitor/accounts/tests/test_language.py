"""Issue 15: the language a page is answered in — the signed-in user's own choice (kept with them, the header's
switch), else the browser's Accept-Language (the sign-in page), else the installation's LANGUAGE_CODE; every page
says which in ``<html lang>``. Shown failing with ``UserLanguageMiddleware`` left out of MIDDLEWARE (the sign-in
page stays English) and with ``choose`` not saving (the user's choice is gone on the next request)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client, override_settings

from compliance_monitor.accounts.models import Preference


@pytest.fixture
def viewer(db: None) -> Client:
    user = get_user_model().objects.create_user("vera", "vera@example.com", "pw")
    user.groups.add(Group.objects.get(name="viewer"))
    client = Client()
    client.force_login(user)
    return client


def test_the_sign_in_page_follows_the_browsers_accept_language(db: None, czech_catalog: object) -> None:
    czech = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="cs,en;q=0.5").content.decode()
    english = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="cs">' in czech and "Jazyk" in czech
    assert '<html lang="en">' in english and "Jazyk" not in english


@override_settings(LANGUAGE_CODE="cs")
def test_without_any_other_word_the_installations_language_is_used(db: None) -> None:
    assert '<html lang="cs">' in Client().get("/login/").content.decode()


def test_a_users_choice_is_kept_with_them_and_wins_over_the_browser(viewer: Client) -> None:
    answer = viewer.post("/language", {"language": "cs", "next": "/alerts/"})
    assert answer.status_code == 302 and answer["Location"] == "/alerts/"
    assert Preference.objects.get(user__username="vera").language == "cs"

    elsewhere = Client()  # another device: no cookie, an English browser
    elsewhere.force_login(get_user_model().objects.get(username="vera"))
    page = elsewhere.get("/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="cs">' in page

    viewer.post("/language", {"language": "en"})
    assert '<html lang="en">' in viewer.get("/alerts/", HTTP_ACCEPT_LANGUAGE="cs").content.decode()


def test_an_unknown_language_or_a_foreign_next_is_refused(viewer: Client) -> None:
    assert viewer.post("/language", {"language": "de"}).status_code == 400
    away = viewer.post("/language", {"language": "cs", "next": "https://evil.example.com/"})
    assert away["Location"] == "/"
    assert not Preference.objects.filter(language="de").exists()
