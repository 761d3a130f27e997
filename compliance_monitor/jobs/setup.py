"""What every installation needs before it runs, in every profile: its ERP connections (the ``CM_ERP_*`` one, or the
demo company), the shipped rule library, and the default job — created when missing, never overwritten, so running
it again (every start of ``manage.py serve``, every ``manage.py setup`` of a deployment) changes nothing."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model

from compliance_monitor.checks import library
from compliance_monitor.erp import connections as erp_connections
from compliance_monitor.jobs import services


def set_up(*, now: datetime) -> list[str]:
    """Create what is missing; returns a line for each thing created."""
    done = [f"ERP connection {c.name} set up" for c in erp_connections.ensure_connections(now=now)]
    done += [f"installed check definition {d.name} from the rule library" for d in library.install(now=now)]
    done += [f"created default job {job.name} ({job.cron})" for job in services.ensure_default_jobs(now=now)]
    return done


def has_administrator() -> bool:
    return get_user_model().objects.filter(is_superuser=True, is_active=True).exists()
