"""Test data for access per company: an installation watching two clients, ``a`` and ``b``.

Each client has a job, a run of it and an alert in warehouse ZBOZI; one installation-wide alert has no connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from compliance_monitor.accounts.models import ConnectionAccess
from compliance_monitor.alerts.models import Alert
from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution, Job
from compliance_monitor.notifications.models import InboxMessage


@dataclass
class Client:
    connection: Connection
    job: Job
    run: Execution
    alert: Alert


@dataclass
class Installation:
    a: Client
    b: Client
    wide: Alert  # installation-wide: no connection


def alert(connection: str, job: Job | None, warehouse: str = "ZBOZI", **fields: Any) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        type="compliance_violation" if job else "system_error",
        severity=4,
        connection=connection,
        job=job,
        warehouse=warehouse,
        fingerprint=f"compliance_violation:{connection}:c:{warehouse}:{job and job.pk}",
        title=f"problem in {warehouse} of {connection or 'the installation'}",
        raised_at=now,
        last_seen_at=now,
        violation_count=12,
        **fields,
    )


def client(name: str) -> Client:
    connection = Connection.objects.create(
        name=name, company=name, base_url="http://127.0.0.1:1", title=f"Client {name}"
    )
    job = services.create_job(
        now=timezone.now(), name=f"job-{name}", cron="0 * * * *", checks=["diagnostics.pass"], connection=connection
    )
    run = Execution.objects.create(job=job, trigger="manual", triggered_by="olga", queued_at=timezone.now())
    return Client(connection, job, run, alert(name, job, execution=run))


def installation() -> Installation:
    return Installation(client("a"), client("b"), alert("", None, warehouse=""))


def user(username: str, role: str | None = None, *, connections: Iterable[str] = ()) -> Any:
    """A user holding ``role`` (or none), limited to ``connections`` (none given: every company)."""
    made = get_user_model().objects.create_user(username, f"{username}@example.com", "pw")
    if role:
        made.groups.add(Group.objects.get(name=role))
    for name in connections:
        ConnectionAccess.objects.create(user=made, connection=Connection.objects.get(name=name))
    return made


def message(to: Any, about: Alert | None) -> InboxMessage:
    title = f"about {about.title}" if about else "about a deleted alert"
    return InboxMessage.objects.create(user=to, alert=about, title=title, body="…", created_at=timezone.now())
