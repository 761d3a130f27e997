"""docs/deploy's systemd units: valid for systemd (``systemd-analyze verify``, with this checkout as the install
folder), every profile's processes present with a restart policy, and the web unit's gunicorn masking hook secrets
in its access log exactly as ``manage.py serve`` does."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "docs" / "deploy").glob("*.service"))
INSTALLED = "/opt/compliance-monitor"


def unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(ROOT / "docs" / "deploy" / name)
    return parser["Service"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_every_unit_verifies(tmp_path: Path) -> None:
    for path in UNITS:
        (tmp_path / path.name).write_text(path.read_text().replace(INSTALLED, str(ROOT)))

    found = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())], capture_output=True, text=True
    )

    assert found.returncode == 0 and not found.stderr.strip(), found.stderr


def test_the_distributed_units_run_setup_first_and_restart_every_process() -> None:
    names = {path.name for path in UNITS}
    assert {"compliance-setup.service", "compliance-web.service", "compliance-beat.service"} <= names
    assert {"compliance-runs-worker.service", "compliance-control-worker.service"} <= names
    assert unit("compliance-setup.service")["ExecStart"].endswith("manage.py setup")
    for name in names - {"compliance-setup.service"}:
        assert unit(name)["Restart"] in ("always", "on-failure"), name


def test_the_web_unit_runs_gunicorn_as_serve_does() -> None:
    from compliance_monitor.jobs.management.commands.serve import Command

    (web,) = [child for child in Command()._children("127.0.0.1", 8000, 1) if child.name == "web"]
    logger = web.args[web.args.index("--logger-class") + 1]

    assert f"--logger-class {logger}" in unit("compliance-web.service")["ExecStart"]
