"""``manage.py jobs …``: the job engine's use cases on the command line."""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from django.core.management.base import CommandError
from django.utils import timezone

from compliance_monitor import cli
from compliance_monitor.alerts import run_alerts
from compliance_monitor.jobs import conflicts, services, stats
from compliance_monitor.jobs.models import JOB_SETTINGS, JOB_STATE, Execution, Job, Status

SETTABLE: dict[str, tuple[str, Callable[[str], Any]]] = {
    # option → (job field, parser)
    "cron": ("cron", str),
    "timezone": ("timezone", str),
    "checks": ("checks", lambda v: [c.strip() for c in v.split(",") if c.strip()]),
    "warehouses": ("warehouses", lambda v: [w.strip() for w in v.split(",") if w.strip()]),
    "timeout": ("timeout_seconds", int),
    "max_retries": ("max_retries", int),
    "retry_backoff": ("retry_backoff_seconds", int),
    "max_consecutive_failures": ("max_consecutive_failures", int),
    "slow_run_factor": ("slow_run_factor", float),  # the duration-anomaly thresholds (jobs/durations.py)
    "slow_run_margin": ("slow_run_margin_seconds", int),
    "slow_run_timeout_percent": ("slow_run_timeout_percent", int),
    "short_run_percent": ("short_run_percent", int),
    "description": ("description", str),
    "queue": ("queue", str),
    "connection": ("connection", str),  # by name
}
WAIT_POLL_SECONDS = 0.2  # how often `trigger --wait` looks at the database
DEFAULT_WAIT_SECONDS = 30 * 60
EXIT_VIOLATIONS, EXIT_FAILED, EXIT_TIMEOUT = 1, 2, 3
clock: Callable[[], float] = time.monotonic  # module attributes, so tests can wait without waiting
pause: Callable[[float], None] = time.sleep


class Command(cli.SubcommandCommand):
    explain: ClassVar[cli.Explanations] = {
        Job.DoesNotExist: lambda exc, o: f"no job named {o.get('name')!r} (see `manage.py jobs list`)",
        services.JobDisabledError: lambda exc, o: f"{exc} (use --force)",
    }
    help = "Manage compliance jobs: list, show, create, set, enable, disable, trigger, history, stats, health."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("list", help="all jobs with health").add_argument("--json", action="store_true")
        show = sub.add_parser("show", help="one job's configuration, next runs and conflicts")
        show.add_argument("name")
        show.add_argument("--json", action="store_true")
        for action in ("create", "set"):
            edit = sub.add_parser(action, help=f"{action} a job's configuration")
            edit.add_argument("name")
            for option in SETTABLE:
                edit.add_argument(f"--{option.replace('_', '-')}", dest=option)
            edit.add_argument("--param", action="append", default=None, metavar="KEY=VALUE")
        sub.add_parser("delete", help="delete a job and its history").add_argument("name")
        sub.add_parser("enable", help="enable a job (resets its failure streak)").add_argument("name")
        disable = sub.add_parser("disable", help="disable a job; its configuration is kept")
        disable.add_argument("name")
        disable.add_argument("--reason", required=True)
        trigger = sub.add_parser("trigger", help="queue a run now; prints the execution id")
        trigger.add_argument("name")
        trigger.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
        trigger.add_argument("--warehouse", action="append", default=[], metavar="CODE")
        trigger.add_argument("--reason", default="")
        trigger.add_argument("--force", action="store_true", help="run even though the job is disabled")
        trigger.add_argument(
            "--wait",
            action="store_true",
            help="wait until the run is final and its alerts reviewed, print its outcome and alerts; exit 0 clean, "
            "1 violations, 2 the run failed (or was skipped or cancelled), 3 timed out waiting",
        )
        trigger.add_argument("--timeout", type=float, default=DEFAULT_WAIT_SECONDS, metavar="SECONDS")
        history = sub.add_parser("history", help="recent executions, newest first")
        history.add_argument("name")
        history.add_argument("--limit", type=int, default=services.DEFAULT_HISTORY_LIMIT)
        history.add_argument("--json", action="store_true")
        statistics = sub.add_parser("stats", help="statistics over a period with a daily trend")
        statistics.add_argument("name")
        statistics.add_argument("--days", type=int, default=stats.DEFAULT_DAYS)
        statistics.add_argument("--json", action="store_true")
        sub.add_parser("health", help="health summary of all jobs").add_argument("--json", action="store_true")
        sub.add_parser("conflicts", help="enabled jobs checking the same warehouses at overlapping times")

    def do_list(self, options: dict[str, Any]) -> str:
        jobs = services.all_jobs()
        if options["json"]:
            return cli.dumps([job_summary(job) for job in jobs])
        rows = [
            (
                j.name,
                j.connection.name,
                j.enabled,
                j.cron,
                j.timezone,
                j.is_healthy,
                j.last_status,
                j.next_run_at,
                j.consecutive_failures,
            )
            for j in jobs
        ]
        headers = ("name", "connection", "enabled", "cron", "timezone", "healthy", "last", "next run", "failures")
        return cli.table(headers, rows)

    def do_show(self, options: dict[str, Any]) -> str:
        job = services.get_job(options["name"])
        now = timezone.now()
        data = {
            **job_summary(job),
            "next_runs": job.next_runs(now, count=5),
            "schedule_conflicts": [c.message for c in conflicts.conflicts_of(job, now=now)],
        }
        if options["json"]:
            return cli.dumps(data)
        return "\n".join(f"{key:>26}: {cli.to_jsonable(value)}" for key, value in data.items())

    def do_create(self, options: dict[str, Any]) -> str:
        fields = self._settable(options)
        job = services.create_job(now=timezone.now(), name=options["name"], **fields)
        return f"created {job.name}; next run {job.next_run_at}"

    def do_set(self, options: dict[str, Any]) -> str:
        job = services.get_job(options["name"])
        changes = self._settable(options)
        if not changes:
            raise CommandError("nothing to change: give at least one option, e.g. --cron '*/30 * * * *'")
        services.update_job(job, changes, now=timezone.now())
        return f"updated {job.name}: {', '.join(sorted(changes))}; next run {job.next_run_at}"

    @staticmethod
    def _settable(options: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for option, (field, parse) in SETTABLE.items():
            if options.get(option) is not None:
                try:
                    fields[field] = parse(options[option])
                except ValueError:
                    raise CommandError(f"--{option.replace('_', '-')} is not valid: {options[option]!r}") from None
        if options.get("param") is not None:
            fields["default_parameters"] = cli.parse_key_values(options["param"], option="--param")
        return fields

    def do_delete(self, options: dict[str, Any]) -> str:
        services.delete_job(services.get_job(options["name"]))
        return f"deleted {options['name']}"

    def do_enable(self, options: dict[str, Any]) -> str:
        job = services.enable(services.get_job(options["name"]), by=self.actor(), now=timezone.now())
        return f"enabled {job.name}; next run {job.next_run_at}"

    def do_disable(self, options: dict[str, Any]) -> str:
        job = services.get_job(options["name"])
        services.disable(job, reason=options["reason"], by=self.actor(), now=timezone.now())
        return f"disabled {job.name}: {job.disabled_reason}"

    def do_trigger(self, options: dict[str, Any]) -> str:
        execution = services.trigger(
            services.get_job(options["name"]),
            by=self.actor(),
            now=timezone.now(),
            parameters=cli.parse_key_values(options["param"], option="--param"),
            warehouses=options["warehouse"],
            reason=options["reason"],
            force=options["force"],
        )
        if not options["wait"]:
            return str(execution.pk)
        settled = wait_settled(execution.pk, timeout=options["timeout"])
        if settled is None:
            message = f"run {execution.pk} not final and reviewed after {options['timeout']:g} s (see `jobs history`)"
            raise CommandError(message, returncode=EXIT_TIMEOUT)
        report, code = run_report(settled), exit_code(settled)
        if code:
            self.stdout.write(report)
            raise CommandError(EXIT_MEANINGS[code], returncode=code)
        return report

    def do_history(self, options: dict[str, Any]) -> str:
        executions = services.history(services.get_job(options["name"]), limit=options["limit"])
        if options["json"]:
            return cli.dumps([execution_summary(e) for e in executions])
        rows = [
            (
                e.pk,
                e.status,
                e.trigger,
                e.triggered_by,
                e.queued_at,
                e.duration_seconds,
                f"{e.violation_reports}/{e.total_reports}",
                e.alerts_reviewed_at,
                e.error_message[:60],
            )
            for e in executions
        ]
        headers = ("execution", "status", "trigger", "by", "queued", "seconds", "violations", "reviewed", "error")
        return cli.table(headers, rows)

    def do_stats(self, options: dict[str, Any]) -> str:
        result = stats.statistics(services.get_job(options["name"]), now=timezone.now(), days=options["days"])
        if options["json"]:
            return cli.dumps(result)
        summary = {k: v for k, v in cli.to_jsonable(result).items() if k != "daily"}
        lines = [f"{key:>26}: {value}" for key, value in summary.items()]
        rows = [(d.day, d.count, d.succeeded, d.failed, d.average_duration_seconds) for d in result.daily if d.count]
        return "\n".join([*lines, "", cli.table(("day", "runs", "succeeded", "failed", "avg seconds"), rows)])

    def do_health(self, options: dict[str, Any]) -> str:
        summary = stats.health(now=timezone.now())
        if options["json"]:
            return cli.dumps(summary)
        head = (
            f"{'HEALTHY' if summary.is_healthy else 'NEEDS ATTENTION'}: {summary.total} jobs, {summary.enabled} "
            f"enabled, {summary.disabled} disabled, {summary.failing} failing, "
            f"{summary.requiring_attention} requiring attention"
        )
        rows = [
            (
                j.name,
                j.enabled,
                j.healthy,
                j.consecutive_failures,
                j.last_run_at,
                j.next_run_at,
                (j.disabled_reason or j.last_error)[:60],
            )
            for j in summary.jobs
        ]
        return head + "\n" + cli.table(("job", "enabled", "healthy", "failures", "last run", "next run", "note"), rows)

    def do_conflicts(self, options: dict[str, Any]) -> str:
        found = conflicts.find_conflicts(now=timezone.now())
        return "\n".join(c.message for c in found) if found else "no schedule conflicts"


def job_summary(job: Job) -> dict[str, Any]:
    fields = ("name", *JOB_SETTINGS, *JOB_STATE)
    derived = {
        "requires_attention": job.requires_attention,
        "failure_rate": job.failure_rate,
        "is_healthy": job.is_healthy,
    }
    return {**{field: getattr(job, field) for field in fields}, "connection": job.connection.name, **derived}


def execution_summary(execution: Any) -> dict[str, Any]:
    fields = (
        "pk",
        "status",
        "trigger",
        "triggered_by",
        "reason",
        "parameters",
        "warehouses",
        "queued_at",
        "started_at",
        "finished_at",
        "duration_seconds",
        "attempt",
        "worker",
        "error_type",
        "error_message",
        "total_reports",
        "successful_reports",
        "violation_reports",
        "blocked_by",
        "alerts_reviewed_at",
    )
    return {("execution_id" if f == "pk" else f): getattr(execution, f) for f in fields}


EXIT_MEANINGS = {
    EXIT_VIOLATIONS: "the run found violations",
    EXIT_FAILED: "the run did not succeed, or read suspiciously few rows",
}


def wait_settled(execution_id: uuid.UUID, *, timeout: float) -> Execution | None:
    """Poll until the run is final and its alerts reviewed (a CLI may poll); None after ``timeout`` seconds."""
    deadline = clock() + timeout
    while True:
        execution = Execution.objects.select_related("job").get(pk=execution_id)
        if execution.is_final and execution.alerts_reviewed_at is not None:
            return execution
        if clock() >= deadline:
            return None
        pause(WAIT_POLL_SECONDS)


def exit_code(execution: Execution) -> int:
    """0 only for a clean run that can be trusted: a suspect read (its rows collapsed) is no all-clear."""
    if execution.status != Status.SUCCEEDED or suspect_reads(execution):
        return EXIT_FAILED
    return EXIT_VIOLATIONS if execution.violation_reports else 0


def suspect_reads(execution: Execution) -> list[str]:
    results = execution.check_results.exclude(volume_note="").filter(volume_accepted_at__isnull=True)
    return list(results.values_list("volume_note", flat=True))


def run_report(execution: Execution) -> str:
    """The run's outcome in a few lines, then one line per alert it raised, updated or resolved."""
    took = f" in {execution.duration_seconds:.1f} s" if execution.duration_seconds is not None else ""
    lines = [
        f"run {execution.pk} of {execution.job.name}: {execution.status}{took}",
        f"reports: {execution.successful_reports} of {execution.total_reports} passed, "
        f"{execution.violation_reports} with violations",
    ]
    if execution.error_type or execution.error_message:
        lines.append(f"error: {execution.error_type}: {execution.error_message}")
    lines += [f"suspect: {note} — not an all-clear" for note in suspect_reads(execution)]
    changed = run_alerts.of_run(execution.pk)
    if not changed:
        return "\n".join([*lines, "alerts: none raised, updated or resolved"])
    rows = [(c.change, c.alert.severity_label, c.alert.pk, c.alert.state, c.alert.title) for c in changed]
    return "\n".join([*lines, "alerts:", cli.table(("change", "severity", "alert", "state", "title"), rows)])
