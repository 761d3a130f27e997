"""``manage.py setup``: what the distributed recipe runs once — after it, the installation has what ``make run``
gives (connections, the rule library, the default job), and running it again changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from compliance_monitor.checks.models import CheckDefinition
from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs.models import Job
from compliance_monitor.jobs.services import DEFAULT_JOB_NAME


def setup() -> str:
    out = StringIO()
    call_command("setup", "--no-static", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_setup_creates_the_default_job_and_library_once_and_says_how_to_make_the_first_admin() -> None:
    Job.objects.all().delete()
    CheckDefinition.objects.filter(name="stock.negative").delete()

    first = setup()

    job = Job.objects.get(name=DEFAULT_JOB_NAME)
    assert f"created default job {DEFAULT_JOB_NAME} (0 * * * *)" in first
    assert job.connection == Connection.objects.get(is_demo=True)  # no CM_ERP_URL here: the demo company
    assert CheckDefinition.objects.filter(name="stock.negative").exists()
    assert "create the first one with `manage.py createsuperuser`" in first

    get_user_model().objects.create_superuser("root", "", "pw-long-enough-1")
    again = setup()
    assert again.strip() == "set up: the database is ready"
    assert Job.objects.filter(name=DEFAULT_JOB_NAME).count() == 1
