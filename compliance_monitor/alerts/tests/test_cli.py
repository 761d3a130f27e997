from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from compliance_monitor.alerts.models import Alert, State
from compliance_monitor.alerts.tests.conftest import codes, outcome


def alerts(*args: str) -> str:
    out = StringIO()
    call_command("alerts", *args, stdout=out)
    return out.getvalue()


def test_list_show_ack_and_resolve_from_the_command_line(run) -> None:
    run(0, outcome("MATERIAL", *codes(12)), outcome("ZBOZI", "P1"))
    critical = Alert.objects.get(warehouse="MATERIAL")

    assert "CRITICAL" in alerts("list") and "ZBOZI" not in alerts("list", "--min-severity", "high")
    assert json.loads(alerts("show", str(critical.pk), "--json"))["history"][0]["kind"] == "raised"
    alerts("ack", str(critical.pk))
    alerts("resolve", str(critical.pk), "--notes", "moved to the right store")

    critical.refresh_from_db()
    assert critical.state == State.RESOLVED and critical.acknowledged_by.startswith("cli:")


def test_bad_requests_are_clean_errors(run) -> None:
    run(0, outcome("MATERIAL", "P1"))
    alert = Alert.objects.get()
    with pytest.raises(CommandError, match="no alert with id 999"):
        alerts("ack", "999")
    with pytest.raises(CommandError, match="notes: resolution notes are required"):
        alerts("resolve", str(alert.pk), "--notes", " ")
    with pytest.raises(CommandError, match="--from must be an ISO date"):
        alerts("stats", "--from", "yesterday")


def test_stats_and_cleanup_render(run) -> None:
    run(0, outcome("MATERIAL", "P1"))
    assert json.loads(alerts("stats", "--from", "2026-05-01", "--to", "2026-07-01", "--json"))["total"] == 1
    assert alerts("cleanup", "--older-than-days", "30") == "deleted 0 resolved alerts older than 30 days\n"
