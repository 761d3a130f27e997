"""Issue 17 against real workers: a run's alerts are known once ``alerts_reviewed_at`` is set — never before.

The alert review is its own task on the ``control`` queue. To see a run that is final but not yet reviewed
(normally a window of 0.1–1 s), the workers stop consuming that queue for a moment (Celery's remote control),
then take it up again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from compliance_monitor.alerts.models import Alert
from compliance_monitor.api import tokens
from compliance_monitor.api.tests.conftest import Api
from compliance_monitor.celery import app
from tests.acceptance.helpers import make_job
from tests.processes import wait_until

pytestmark = pytest.mark.workers
REVIEW_QUEUE = "control"


@contextmanager
def reviews_held() -> Iterator[None]:
    """Every worker stops taking alert reviews (the control queue) inside the block, and takes them up after."""
    stopped = app.control.cancel_consumer(REVIEW_QUEUE, reply=True, timeout=5)
    assert stopped, "no worker answered the remote control"
    try:
        yield
    finally:
        app.control.add_consumer(REVIEW_QUEUE, reply=True, timeout=5)


def operator_api() -> Api:
    user = get_user_model().objects.create_user("olga", "olga@example.com", "pw")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])  # a flush between tests removes seeded groups
    return Api(tokens.create(user, name="ci", now=timezone.now())[1])


def test_a_triggered_run_lists_its_alerts_once_alerts_reviewed_at_is_set_and_never_before(engine: object) -> None:
    make_job("violating", checks=["diagnostics.violations"], default_parameters={"count": 12}, max_retries=0)
    api = operator_api()
    seen: list[dict[str, Any]] = []

    def detail() -> dict[str, Any]:
        body = api.call("GET", url).json()
        seen.append(body)
        return body

    with reviews_held():
        triggered = api.call("POST", "/jobs/violating/trigger", {"warehouses": ["MATERIAL"]}).json()
        url = triggered["url"].removeprefix("/api/v1")
        final = wait_until(lambda: (b := detail())["finished_at"] and b, timeout=20, what="the run to finish")
        assert final["status"] == "succeeded" and final["alerts_reviewed_at"] is None and final["alerts"] is None
        assert not Alert.objects.filter(execution_id=final["execution_id"]).exists()
    settled = wait_until(lambda: (b := detail())["alerts_reviewed_at"] and b, timeout=20, what="alerts_reviewed_at")

    (alert,) = Alert.objects.filter(execution_id=settled["execution_id"])
    assert settled["alerts"] == [
        {
            "id": alert.pk,
            "change": "raised",
            "type": "compliance_violation",
            "severity": "critical",
            "title": "12 misplaced products in warehouse MATERIAL (default)",
            "warehouse": "MATERIAL",
            "state": "open",
        }
    ]
    for body in seen:  # before the stamp every answer said "not yet"; from the stamp on, every one had the alert
        if body["alerts_reviewed_at"] is None:
            assert body["alerts"] is None
        else:
            assert [a["id"] for a in body["alerts"]] == [alert.pk]


def test_jobs_trigger_wait_prints_the_runs_outcome_and_alerts_and_exits_1_on_violations(engine: object) -> None:
    make_job("violating", checks=["diagnostics.violations"], default_parameters={"count": 3}, max_retries=0)
    out = StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("jobs", "trigger", "violating", "--warehouse", "MATERIAL", "--wait", "--timeout", "30", stdout=out)

    printed = out.getvalue()
    assert failed.value.returncode == 1 and str(failed.value) == "the run found violations"
    assert "of violating: succeeded" in printed and "0 of 1 passed, 1 with violations" in printed
    assert "raised" in printed and "3 misplaced products in warehouse MATERIAL" in printed
