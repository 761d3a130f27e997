"""Issue 13 in the API: switching a connection's change feed, reading its state, the demo's scenario booking; and
the metrics of feeds and change-triggered runs."""

from __future__ import annotations

from collections.abc import Callable

from compliance_monitor.api.tests.conftest import Api
from compliance_monitor.erp.models import ChangeFeed, DemoBooking


def test_an_admin_switches_the_change_feed_and_everyone_reads_its_state(as_role: Callable[[str], Api]) -> None:
    admin, viewer = as_role("admin"), as_role("viewer")
    assert viewer.call("GET", "/connections/demo").json()["change_feed"]["mode"] == "off"
    assert viewer.call("PATCH", "/connections/demo", {"change_feed": "poll"}).status_code == 403

    switched = admin.call("PATCH", "/connections/demo", {"change_feed": "poll"})

    assert switched.status_code == 200
    feed = switched.json()["change_feed"]
    assert (feed["mode"], feed["warning"], feed["lag_versions"]) == ("poll", "", 0)
    assert feed["cursor"] is not None
    assert ChangeFeed.objects.get(connection__name="demo").mode == "poll"


def test_an_unknown_feed_mode_is_a_422_naming_the_field(as_role: Callable[[str], Api]) -> None:
    answer = as_role("admin").call("PATCH", "/connections/demo", {"change_feed": "push"})

    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "change_feed"


def test_the_hook_secret_is_never_in_an_answer(as_role: Callable[[str], Api]) -> None:
    answer = as_role("admin").call("PATCH", "/connections/demo", {"change_feed": "hook"})

    secret = ChangeFeed.objects.get(connection__name="demo").hook_secret
    assert len(secret) > 30 and secret not in answer.text


def test_an_operator_books_stock_into_the_demo_and_the_feed_sees_it(as_role: Callable[[str], Api]) -> None:
    admin, operator = as_role("admin"), as_role("operator")
    admin.call("PATCH", "/connections/demo", {"change_feed": "poll"})

    booked = operator.call(
        "POST", "/connections/demo/bookings", {"warehouse": "ZBOZI", "lines": [{"product": "mat00001", "quantity": 5}]}
    )

    assert booked.status_code == 201 and booked.json()["document"].startswith("SP-0001/")
    assert DemoBooking.objects.get().data["lines"][0]["product"] == "MAT00001"
    assert (
        as_role("viewer")
        .call(
            "POST",
            "/connections/demo/bookings",
            {"warehouse": "ZBOZI", "lines": [{"product": "MAT00001", "quantity": 1}]},
        )
        .status_code
        == 403
    )


def test_a_booking_of_what_the_demo_does_not_hold_is_a_422_naming_the_field(as_role: Callable[[str], Api]) -> None:
    operator = as_role("operator")

    wrong = operator.call(
        "POST", "/connections/demo/bookings", {"warehouse": "MARS", "lines": [{"product": "MAT00001", "quantity": 1}]}
    )
    unknown = operator.call(
        "POST", "/connections/demo/bookings", {"warehouse": "ZBOZI", "lines": [{"product": "X1", "quantity": 1}]}
    )

    assert wrong.status_code == 422 and wrong.json()["detail"].startswith("sklad:")
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("cenik:")
    assert not DemoBooking.objects.exists()
