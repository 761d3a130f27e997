"""Issue 12: ``manage.py checks export|import|validate|preview`` — checks as reviewable YAML files."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from compliance_monitor.checks import definitions, library
from compliance_monitor.checks.models import CheckDefinition, CheckResult
from compliance_monitor.checks.tests.test_definition import NEGATIVE
from compliance_monitor.erp.server import FlexiServer, FlexiState
from compliance_monitor.erp.synthetic import Company
from tests.erp_connection import connect_to


@pytest.fixture
def erp(db: None) -> Iterator[FlexiServer]:
    flexi = FlexiServer(FlexiState(Company(), username="api", password="pw")).start_in_thread()
    connect_to(flexi, page_size=50)
    with override_settings(CM_ERP_RETRIES=0):
        yield flexi
    flexi.shutdown()
    flexi.server_close()


def checks(*args: str) -> str:
    out = StringIO()
    call_command("checks", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple[str, int, object]]:
    return list(CheckDefinition.objects.values_list("name", "version", "spec"))


def test_export_then_import_changes_nothing(erp: FlexiServer, tmp_path: Path) -> None:
    library.install(now=timezone.now())
    before = snapshot()

    shipped = len(library.shipped())  # the original reports' warehouse.product_types among them
    assert f"wrote {shipped} definition(s)" in checks("export", str(tmp_path))
    printed = checks("import", str(tmp_path))

    assert snapshot() == before and printed.count("unchanged") == shipped
    assert yaml.safe_load((tmp_path / "stock.negative.yaml").read_text())["title"]["cs"] == "Záporný stav skladu"


def test_import_applies_every_file_or_none_and_prints_what_changes(erp: FlexiServer, tmp_path: Path) -> None:
    definitions.create(NEGATIVE, now=timezone.now())
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({**NEGATIVE, "predicate": "stavMJ < -1"}))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({**NEGATIVE, "name": "stock.b", "predicate": "stavMX < 0"}))

    with pytest.raises(CommandError) as caught:
        checks("import", str(tmp_path))
    assert "b.yaml: predicate: unknown field 'stavMX'" in str(caught.value) and "nothing changed" in str(caught.value)
    assert CheckDefinition.objects.get(name=NEGATIVE["name"]).version == 1  # a.yaml was valid, still not applied

    (tmp_path / "b.yaml").write_text(yaml.safe_dump({**NEGATIVE, "name": "stock.b"}))
    printed = checks("import", str(tmp_path))
    assert f"updated {NEGATIVE['name']} (version 2)" in printed and "created stock.b (version 1)" in printed


def test_validate_names_the_file_and_the_field_and_changes_nothing(erp: FlexiServer, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({**NEGATIVE, "thresholds": {"critical": 1, "high": 2}}))
    (tmp_path / "broken.yaml").write_text("name: [unclosed")
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        checks("validate", str(tmp_path))
    assert "bad.yaml: thresholds: out of order" in str(caught.value) and "broken.yaml: not YAML" in str(caught.value)
    assert snapshot() == before


def test_preview_prints_the_violations_and_stores_nothing(erp: FlexiServer) -> None:
    definitions.create(NEGATIVE, now=timezone.now())
    printed = checks("preview", NEGATIVE["name"])
    assert "ZBOZI" in printed and "nothing stored" in printed and "ks)" in printed
    assert not CheckResult.objects.exists()
