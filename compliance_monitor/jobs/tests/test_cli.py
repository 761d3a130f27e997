from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from compliance_monitor.jobs.models import Execution, Job


def jobs(*args: str) -> str:
    out = StringIO()
    call_command("jobs", *args, stdout=out)
    return out.getvalue()


def test_it_creates_lists_and_shows_a_job(db: None) -> None:
    jobs("create", "nightly", "--cron", "0 2 * * *", "--checks", "diagnostics.pass", "--warehouses", "MATERIAL")

    assert "nightly" in jobs("list")
    shown = json.loads(jobs("show", "nightly", "--json"))
    assert shown["cron"] == "0 2 * * *" and shown["warehouses"] == ["MATERIAL"] and len(shown["next_runs"]) == 5


def test_a_bad_cron_is_a_clean_error_naming_the_field(db: None) -> None:
    with pytest.raises(CommandError, match="cron: cron minute field '99' is invalid"):
        jobs("create", "bad", "--cron", "99 * * * *", "--checks", "diagnostics.pass")
    assert not Job.objects.exists()


def test_an_unknown_job_is_a_clean_error(db: None) -> None:
    with pytest.raises(CommandError, match="no job named 'ghost'"):
        jobs("show", "ghost")


def test_trigger_prints_the_execution_id_and_records_the_cli_user(db: None) -> None:
    jobs("create", "j", "--cron", "0 * * * *", "--checks", "diagnostics.pass")

    execution_id = jobs("trigger", "j", "--param", "seconds=2", "--warehouse", "ZBOZI", "--reason", "test").strip()

    execution = Execution.objects.get(pk=execution_id)
    assert execution.parameters == {"seconds": 2} and execution.warehouses == ["ZBOZI"]
    assert execution.triggered_by.startswith("cli:")


def test_a_disabled_job_needs_force_and_enable_brings_it_back(db: None) -> None:
    jobs("create", "j", "--cron", "0 * * * *", "--checks", "diagnostics.pass")
    jobs("disable", "j", "--reason", "inventory")

    with pytest.raises(CommandError, match=r"is disabled .*use --force"):
        jobs("trigger", "j")
    assert jobs("trigger", "j", "--force").strip()
    assert "enabled j" in jobs("enable", "j")


def test_history_stats_health_and_conflicts_render(db: None) -> None:
    jobs("create", "a", "--cron", "0 * * * *", "--checks", "diagnostics.pass")
    jobs("create", "b", "--cron", "0 * * * *", "--checks", "diagnostics.pass")
    jobs("trigger", "a")

    assert "queued" in jobs("history", "a")
    assert json.loads(jobs("stats", "a", "--json"))["by_status"]["queued"] == 1
    assert jobs("health").startswith("HEALTHY: 2 jobs")
    assert "a and b both check all warehouses" in jobs("conflicts")
