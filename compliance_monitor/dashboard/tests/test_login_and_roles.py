from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from compliance_monitor.alerts.models import State

PAGES = ["/", "/jobs/compliance/", "/alerts/", "/notifications/"]


@pytest.mark.parametrize("url", PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page(db, job, url) -> None:
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith(f"/login/?next={url}")


def test_an_expired_session_sends_a_live_poll_to_the_login_page(db) -> None:
    response = Client().get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/login/")


def test_signing_in_with_the_right_password_opens_the_overview(db) -> None:
    get_user_model().objects.create_user("olga", "", "secret", is_superuser=True)
    client = Client()
    bad = client.post("/login/", {"username": "olga", "password": "wrong"})
    assert bad.status_code == 200 and "did not match" in bad.content.decode()
    good = client.post("/login/", {"username": "olga", "password": "secret"})
    assert good.status_code == 302 and good["Location"] == "/"
    assert "Overview" in client.get("/").content.decode()


def test_logging_out_needs_a_post_and_ends_the_session(as_role) -> None:
    client = as_role("viewer")
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_logging_in_is_csrf_protected(db) -> None:
    get_user_model().objects.create_user("olga", "", "secret")
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "olga", "password": "secret"}).status_code == 403


def test_a_viewer_sees_no_action_buttons(as_role, job, alerts) -> None:
    client = as_role("viewer")
    job_page = client.get("/jobs/compliance/").content.decode()
    for testid in ("run-now", "disable", "enable", "save", "job-form"):
        assert f'data-testid="{testid}"' not in job_page
    assert "Run now" not in job_page
    alerts_page = client.get("/alerts/").content.decode()
    assert 'data-testid="acknowledge"' not in alerts_page and 'data-testid="resolve"' not in alerts_page


def test_an_operator_may_run_and_act_on_alerts_but_not_configure(as_role, job, alerts) -> None:
    client = as_role("operator")
    job_page = client.get("/jobs/compliance/").content.decode()
    assert 'data-testid="run-now"' in job_page
    assert 'data-testid="disable"' not in job_page and 'data-testid="job-form"' not in job_page
    assert 'data-testid="acknowledge"' in client.get("/alerts/").content.decode()


@pytest.mark.parametrize(
    ("role", "url", "data"),
    [
        ("viewer", "/jobs/compliance/run", {}),
        ("viewer", "/jobs/compliance/disable", {"reason": "x"}),
        ("operator", "/jobs/compliance/disable", {"reason": "x"}),
        ("operator", "/jobs/compliance/enable", {}),
        ("operator", "/jobs/compliance/edit", {"cron": "* * * * *"}),
    ],
)
def test_the_server_refuses_what_the_role_may_not_do_and_says_why(as_role, job, role, url, data) -> None:
    response = as_role(role).post(url, data)
    assert response.status_code == 403
    assert "role" in response.content.decode()
    job.refresh_from_db()
    assert job.enabled and job.cron == "0 * * * *" and not job.executions.exists()


def test_a_viewer_may_not_acknowledge_even_by_posting_directly(as_role, alerts) -> None:
    alert = alerts["MATERIAL"]
    response = as_role("viewer").post(f"/alerts/{alert.pk}/acknowledge", headers={"HX-Request": "true"})
    assert response.status_code == 403 and "operator role" in response.content.decode()
    alert.refresh_from_db()
    assert alert.state == State.OPEN


def test_a_warehouse_manager_without_a_role_sees_and_acts_on_their_warehouse_only(manager, alerts) -> None:
    assert manager.get("/").status_code == 302  # no overview without a role: straight to the alerts
    page = manager.get("/alerts/").content.decode()
    assert "MATERIAL" in page and "ZBOZI" not in page
    assert manager.post(f"/alerts/{alerts['MATERIAL'].pk}/acknowledge").status_code == 302
    assert manager.get(f"/alerts/{alerts['ZBOZI'].pk}/").status_code == 404
    assert manager.get("/jobs/compliance/").status_code == 403


def test_a_user_with_neither_role_nor_warehouse_is_told_what_is_missing(as_role) -> None:
    response = as_role("nobody").get("/alerts/")
    assert response.status_code == 403 and "viewer role" in response.content.decode()
