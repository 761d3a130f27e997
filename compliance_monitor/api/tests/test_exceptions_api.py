"""Issue 16, item 3 in the API: /api/v1/exceptions — an operator accepts a violation until a date (201), a viewer
may list but not accept (403), a mistake is a 422 naming the field, revoking twice is a 409. Shown failing with the
router's ``scope_actor`` call removed (the viewer's POST is a 201)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from compliance_monitor.checks.models import AcceptedException


def body(**changes: object) -> dict[str, object]:
    given = {
        "connection": "demo",
        "check": "warehouse.product_types",
        "warehouse": "ZBOZI",
        "identity": "Z001",
        "reason": "kept for the season",
        "expires_at": (timezone.now() + timedelta(days=30)).isoformat(),
    }
    return {**given, **changes}


def test_an_operator_accepts_and_revokes_and_a_viewer_lists(as_role, job) -> None:
    operator, viewer = as_role("operator"), as_role("viewer")
    assert viewer.call("POST", "/exceptions", body()).status_code == 403

    created = operator.call("POST", "/exceptions", body())
    assert created.status_code == 201, created.content
    found = created.json()
    assert (found["identity"], found["created_by"], found["standing"]) == ("Z001", "operator-user", True)

    listed = viewer.call("GET", "/exceptions").json()
    assert [item["id"] for item in listed["items"]] == [found["id"]]

    revoked = operator.call("DELETE", f"/exceptions/{found['id']}")
    assert revoked.status_code == 200 and revoked.json()["standing"] is False
    assert operator.call("DELETE", f"/exceptions/{found['id']}").status_code == 409
    assert viewer.call("GET", "/exceptions").json()["items"] == []
    assert len(viewer.call("GET", "/exceptions?state=all").json()["items"]) == 1


def test_a_bad_exception_is_a_422_naming_the_field(as_role, job) -> None:
    operator = as_role("operator")
    for change, field in [
        ({"reason": " "}, "reason"),
        ({"expires_at": (timezone.now() - timedelta(days=1)).isoformat()}, "expires_at"),
        ({"check": "no.such"}, "check"),
        ({"expires_at": "soon"}, "expires_at"),
    ]:
        answer = operator.call("POST", "/exceptions", body(**change))
        assert answer.status_code == 422, (change, answer.content)
        assert field in str(answer.json()["detail"]), answer.json()
    assert not AcceptedException.objects.exists()


def test_every_exception_is_in_the_configuration_audit(as_role, job) -> None:
    """Shown failing with the ``exception`` line removed from ``accounts/audit.py``'s AUDITED."""
    from auditlog.models import LogEntry

    found = as_role("operator").call("POST", "/exceptions", body()).json()
    as_role("admin").call("DELETE", f"/exceptions/{found['id']}")
    entries = LogEntry.objects.filter(content_type__model="acceptedexception", object_pk=str(found["id"]))
    assert entries.count() == 2  # accepted, revoked
