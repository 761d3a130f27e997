from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client


def test_a_logged_in_browser_session_may_call_the_api_with_its_csrf_token(job) -> None:
    user = get_user_model().objects.create_user("sam", "", "pw")
    user.groups.add(Group.objects.get(name="operator"))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    assert browser.get("/api/v1/jobs").status_code == 200
    refused = browser.post("/api/v1/jobs/compliance/trigger", data={}, content_type="application/json")
    assert refused.status_code == 403  # no CSRF token: a forged cross-site request

    browser.get("/admin/login/")  # any page that sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/jobs/compliance/trigger", data={}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 202
