"""Item 13 of issue 10: the dashboard's Audit page — admins only, filtered by model, in pages."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Job
from compliance_monitor.notifications.models import Recipient


def test_item_13_admins_find_the_audit_in_the_header_and_others_neither_see_nor_open_it(
    as_role: Callable[[str], Client], job: Job
) -> None:
    admin_page = as_role("admin").get("/").content.decode()
    operator = as_role("operator")

    assert 'href="/audit/"' in admin_page
    assert 'href="/audit/"' not in operator.get("/").content.decode()
    assert operator.get("/audit/").status_code == 403


def test_item_13_the_audit_page_filters_by_model_and_pages(as_role: Callable[[str], Client], job: Job) -> None:
    admin = as_role("admin")
    Recipient.objects.create(name="Stores team", email="stores@example.com", warehouses=["MATERIAL"])
    for minute in range(1, 56):
        services.update_job(job, {"cron": f"{minute} * * * *"}, now=timezone.now())

    first = admin.get("/audit/?model=job").content.decode()
    second = admin.get("/audit/?model=job&page=2").content.decode()
    recipients = admin.get("/audit/?model=recipient").content.decode()

    assert "page 1 of 2 (56 in all)" in first and "55 * * * *" in first and "Stores team" not in first
    assert "page 2 of 2" in second and "0 * * * *" in second
    assert "Stores team" in recipients and "55 * * * *" not in recipients
