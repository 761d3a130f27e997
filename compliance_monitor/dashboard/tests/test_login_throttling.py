"""Item 6: guessing passwords is throttled (django-axes) — after 5 wrong ones a user name is locked for a while, and
the login page says so plainly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

LIMIT = 5  # CM_LOGIN_FAILURE_LIMIT's default
COOLOFF = timedelta(minutes=15)  # CM_LOGIN_COOLOFF_MINUTES's default


@pytest.fixture
def olga(db: None) -> object:
    return get_user_model().objects.create_superuser("olga", "", "the-right-password")


def sign_in(client: Client, password: str, *, url: str = "/login/", username: str = "olga") -> object:
    return client.post(url, {"username": username, "password": password})


def fail_until_locked(client: Client, *, url: str = "/login/") -> Any:
    """Four wrong passwords get the form again ("did not match"); the fifth gets the lockout page."""
    for _ in range(LIMIT - 1):
        assert sign_in(client, "wrong", url=url).status_code == 200
    return sign_in(client, "wrong", url=url)


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_item_6_five_wrong_passwords_lock_the_user_name_with_a_clear_message(olga: object, url: str) -> None:
    client = Client()
    fifth = fail_until_locked(client, url=url)
    locked = sign_in(client, "the-right-password", url=url)

    for response in (fifth, locked):
        page = response.content.decode()
        assert response.status_code == 429
        assert 'data-testid="locked-out"' in page and "Too many failed sign-ins" in page
        assert "blocked for 15 minutes" in page and "<strong>olga</strong>" in page
        assert "did not match" not in page
    assert client.get("/").status_code == 302  # not signed in: the right password did not help


def test_item_6_the_lock_ends_after_the_cool_off(olga: object) -> None:
    client = Client()
    assert fail_until_locked(client).status_code == 429

    with time_machine.travel(timezone.now() + COOLOFF + timedelta(seconds=1)):
        assert sign_in(client, "the-right-password").status_code == 302
        assert client.get("/").status_code == 200


def test_item_6_a_lock_is_per_user_name_and_address_so_others_still_sign_in(olga: object) -> None:
    get_user_model().objects.create_superuser("ada", "", "adas-password")
    guesser = Client()
    assert fail_until_locked(guesser).status_code == 429
    assert sign_in(guesser, "the-right-password").status_code == 429

    assert sign_in(Client(), "adas-password", username="ada").status_code == 302  # another user, same address
    assert sign_in(Client(REMOTE_ADDR="10.0.0.9"), "the-right-password").status_code == 302  # olga, at her desk


def test_item_6_a_successful_sign_in_forgets_earlier_mistakes(olga: object) -> None:
    client = Client()
    for _ in range(LIMIT - 1):
        sign_in(client, "wrong")
    assert sign_in(client, "the-right-password").status_code == 302
    client.post("/logout/")
    for _ in range(LIMIT - 1):
        sign_in(client, "wrong")
    assert sign_in(client, "the-right-password").status_code == 302
    client.post("/logout/")
    assert fail_until_locked(client).status_code == 429  # and the limit itself still holds
