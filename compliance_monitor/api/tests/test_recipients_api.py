"""/api/v1/recipients: a recipient's delivery policy, read and changed by the admin role; bad input is a 422 naming
the field; the change is in the configuration audit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from compliance_monitor.api.tests.conftest import Api
from compliance_monitor.notifications.models import Recipient


@pytest.fixture
def marta(db: None) -> Recipient:
    return Recipient.objects.create(name="Marta", email="marta@example.com", warehouses=["MATERIAL"])


def test_an_admin_reads_a_recipients_policy_with_its_defaults(as_role: Callable[[str], Api], marta) -> None:
    admin = as_role("admin")
    answer = admin.call("GET", f"/recipients/{marta.pk}")

    assert answer.status_code == 200
    assert {k: v for k, v in answer.json().items() if "policy" in k or "digest" in k or "quiet" in k} == {
        "high_policy": "immediate",
        "medium_policy": "digest",
        "low_policy": "digest",
        "digest_cadence": "hourly",
        "digest_time": "08:00",
        "quiet_hours_start": None,
        "quiet_hours_end": None,
    }
    assert [r["name"] for r in admin.call("GET", "/recipients").json()] == ["Marta"]


def test_an_admin_sets_a_daily_digest_in_prague_with_quiet_hours_and_it_is_audited(
    as_role: Callable[[str], Api], marta
) -> None:
    """Shown failing with ``set_policy`` saving without ``full_clean`` (the bad time zone below is stored)."""
    admin = as_role("admin")
    changed = admin.call(
        "PATCH",
        f"/recipients/{marta.pk}",
        {
            "medium_policy": "immediate",
            "digest_cadence": "daily",
            "digest_time": "07:30",
            "time_zone": "Europe/Prague",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "06:30",
        },
    )
    assert changed.status_code == 200, changed.content
    marta.refresh_from_db()
    assert (marta.medium_policy, marta.digest_cadence, f"{marta.digest_time:%H:%M}") == ("immediate", "daily", "07:30")
    assert (f"{marta.quiet_hours_start:%H:%M}", f"{marta.quiet_hours_end:%H:%M}") == ("22:00", "06:30")
    trail = admin.call("GET", "/audit?model=recipient&object=Marta").json()
    assert "digest_cadence" in trail["items"][0]["changes"]

    off = admin.call("PATCH", f"/recipients/{marta.pk}", {"quiet_hours_start": None, "quiet_hours_end": None})
    assert off.status_code == 200 and off.json()["quiet_hours_start"] is None

    bad = admin.call("PATCH", f"/recipients/{marta.pk}", {"time_zone": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "time_zone"]
    marta.refresh_from_db()
    assert marta.time_zone == "Europe/Prague"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"medium_policy": "weekly"}, "medium_policy"),
        ({"digest_time": "25:00"}, "digest_time"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),  # a start without an end
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"}, "quiet_hours_end"),
        ({"critical_policy": "digest"}, "critical_policy"),  # critical is always immediate: no such field
    ],
)
def test_a_bad_policy_is_a_422_naming_the_field(as_role: Callable[[str], Api], marta, body, field) -> None:
    answer = as_role("admin").call("PATCH", f"/recipients/{marta.pk}", body)

    assert answer.status_code == 422, answer.content
    assert field in {str(part) for problem in answer.json()["detail"] for part in problem["loc"]}


def test_only_the_admin_role_reads_or_changes_recipients(as_role: Callable[[str], Api], marta) -> None:
    for role, status in (("anonymous", 401), ("viewer", 403), ("operator", 403)):
        api = as_role(role)
        assert api.call("GET", "/recipients").status_code == status
        assert api.call("PATCH", f"/recipients/{marta.pk}", {"low_policy": "immediate"}).status_code == status
    assert as_role("admin").call("GET", "/recipients/999999").status_code == 404
