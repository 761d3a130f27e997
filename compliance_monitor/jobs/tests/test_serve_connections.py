from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs.management.commands import serve


class Stop(Exception):
    """Stops ``serve`` right after the installation is set up."""


def test_serve_sets_up_the_default_connection_from_cm_erp_settings_at_start(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stop(*args: Any, **kwargs: Any) -> None:
        raise Stop

    monkeypatch.setattr(serve, "secure_data_dir", lambda: None)
    monkeypatch.setattr(serve, "call_command", lambda *args, **kwargs: None)  # no migrate, no collectstatic
    monkeypatch.setattr(serve.Command, "_ensure_admin", stop)  # right after the installation is set up
    out = StringIO()
    erp = {"CM_ERP_URL": "https://erp.example.com:5434", "CM_ERP_COMPANY": "firma", "CM_ERP_PASSWORD": "pw-1"}
    with override_settings(**erp), pytest.raises(Stop):
        call_command("serve", stdout=out)

    assert "ERP connection default set up" in out.getvalue()
    assert Connection.objects.get(name="default").company == "firma"
