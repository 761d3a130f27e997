from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from compliance_monitor.api import tokens
from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Job

ROLES = ("anonymous", "viewer", "operator", "admin")


class Api:
    """A JSON client for /api/v1 authenticated with a real bearer token (or none)."""

    def __init__(self, key: str | None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        send = getattr(self.client, method.lower())
        kwargs: dict[str, Any] = {**self.headers}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return send(f"/api/v1{path}", **kwargs)


@pytest.fixture
def as_role(db: None) -> Callable[[str], Api]:
    def make(role: str) -> Api:
        if role == "anonymous":
            return Api(None)
        user = get_user_model().objects.create_user(f"{role}-user", f"{role}@example.com", "pw")
        user.groups.add(Group.objects.get(name=role))
        return Api(tokens.create(user, name="tests", now=timezone.now())[1])

    return make


@pytest.fixture
def job(db: None) -> Job:
    return services.create_job(
        now=timezone.now(),
        name="compliance",
        cron="0 * * * *",
        checks=["warehouse.product_types"],
        warehouses=["MATERIAL"],
    )
