"""Dashboard tests: the Django test client signed in as each role, over data made by the real services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from compliance_monitor.alerts import raising
from compliance_monitor.alerts.models import Alert
from compliance_monitor.checks.base import CheckOutcome, Violation
from compliance_monitor.jobs import lifecycle, services
from compliance_monitor.jobs.lifecycle import Result
from compliance_monitor.jobs.models import Execution, Job, Status
from compliance_monitor.notifications.models import Recipient

ROLES = ("viewer", "operator", "admin")


def outcome(warehouse: str, *codes: str) -> CheckOutcome:
    violations = tuple(
        Violation(warehouse, code, product_name=f"Product {code}", quantity=2, unit="ks") for code in codes
    )
    return CheckOutcome("warehouse.product_types", warehouse, violations, report_name=f"{warehouse}Report")


@pytest.fixture
def as_role(db: None) -> Callable[[str], Client]:
    """A browser session of a user holding ``role`` (viewer, operator, admin), or of a user with none."""

    clients: dict[str, Client] = {}

    def make(role: str) -> Client:
        if role not in clients:
            user = get_user_model().objects.create_user(f"{role}-user", f"{role}@example.com", "pw")
            if role in ROLES:
                user.groups.add(Group.objects.get(name=role))
            clients[role] = Client()
            clients[role].force_login(user)
        return clients[role]

    return make


@pytest.fixture
def manager(db: None) -> Client:
    """A warehouse manager without a role: an active recipient for MATERIAL."""
    user = get_user_model().objects.create_user("manager", "manager@example.com", "pw")
    Recipient.objects.create(name="Material manager", email="manager@example.com", user=user, warehouses=["MATERIAL"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def job(db: None) -> Job:
    return services.create_job(
        now=timezone.now(), name="compliance", cron="0 * * * *", checks=["diagnostics.pass"], max_retries=0
    )


@pytest.fixture
def finished_run(job: Job) -> Callable[..., Execution]:
    """A run of ``job`` that ended ``ago`` before now with these outcomes (or this failure), alerts reviewed."""

    def finish(
        *outcomes: CheckOutcome, ago: timedelta = timedelta(0), status: Status = Status.SUCCEEDED, error: str = ""
    ) -> Execution:
        now = timezone.now() - ago
        execution = Execution.objects.create(job=job, trigger="manual", triggered_by="olga", queued_at=now)
        lifecycle.claim(execution.pk, worker="w1@host", now=now)
        result = Result(status, outcomes, error_type="RuntimeError" if error else "", error_message=error)
        lifecycle.finish(execution.pk, result, now=now + timedelta(seconds=2))
        raising.process_execution(execution.pk, now=now + timedelta(seconds=2))
        execution.refresh_from_db()
        return execution

    return finish


@pytest.fixture
def alerts(finished_run: Callable[..., Execution]) -> dict[str, Alert]:
    """Open alerts: MATERIAL critical (12 products), ZBOZI medium (1)."""
    finished_run(outcome("MATERIAL", *[f"M{i:03d}" for i in range(12)]), outcome("ZBOZI", "Z001"))
    return {alert.warehouse: alert for alert in Alert.objects.all()}


def at(hours_ago: float) -> datetime:
    return timezone.now() - timedelta(hours=hours_ago)
