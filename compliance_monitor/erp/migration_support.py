"""For data migrations: the connection that an installation's existing jobs, rules and alerts belong to.

An installation of the first version read one ERP, given by ``CM_ERP_*`` (or the demo company when
``CM_ERP_URL`` was empty). Upgrading puts everything it has on that ERP's connection — ``default`` or ``demo`` —
so it keeps running unchanged. Takes the migration's ``apps`` and uses only historical models.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from compliance_monitor.erp import crypto


def connection_for_existing_data(apps: Any) -> Any:
    connection_model = apps.get_model("erp", "Connection")
    for name in ("default", "demo"):
        found = connection_model.objects.filter(name=name).first()
        if found is not None:
            return found
    first = connection_model.objects.order_by("name").first()
    return first if first is not None else _create(connection_model)


def _create(connection_model: Any) -> Any:
    now = timezone.now()
    if not settings.CM_ERP_URL:
        from compliance_monitor.erp.connections import demo_title  # the title only; no current model is used

        return connection_model.objects.create(
            name="demo", title=demo_title(), is_demo=True, company="demo", created_at=now, updated_at=now
        )
    password = settings.CM_ERP_PASSWORD
    return connection_model.objects.create(
        name="default",
        title="From CM_ERP_* settings",
        base_url=settings.CM_ERP_URL,
        company=settings.CM_ERP_COMPANY,
        username=settings.CM_ERP_USER,
        password_encrypted=crypto.encrypt(password) if password else "",
        verify_tls=settings.CM_ERP_VERIFY_TLS,
        timeout_seconds=settings.CM_ERP_TIMEOUT_SECONDS,
        page_size=settings.CM_ERP_PAGE_SIZE,
        created_at=now,
        updated_at=now,
    )
