"""Issue 15: the Czech catalog is complete — every string marked in the code is in it (a fresh ``makemessages``
finds nothing it lacks), and every entry is translated and none fuzzy. Shown failing by marking a new string in a
template without adding it to the catalog, and by blanking one ``msgstr``."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "compliance_monitor" / "locale" / "cs" / "LC_MESSAGES" / "django.po"
SKIP = ("locale", "__pycache__", "tests", "migrations", "static")
IGNORED = [".venv/*", "var/*", "bench/*", "tests/*", "*/tests/*", "docs/*", "scripts/*"]
ENTRY = re.compile(r'^(?:msgctxt "((?:[^"\\]|\\.)*)"\n)?msgid ((?:"(?:[^"\\]|\\.)*"\n)+)', re.MULTILINE)

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")


def entries(po: str) -> set[tuple[str, str]]:
    """(context, msgid) of every live entry, the header left out."""
    live = "\n".join(line for line in po.splitlines() if not line.startswith("#~")) + "\n"
    found = {(m.group(1) or "", "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))) for m in ENTRY.finditer(live)}
    return {entry for entry in found if entry[1]}


def test_every_entry_is_translated_and_none_is_fuzzy() -> None:
    done = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(CATALOG)], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    statistics = done.stderr.decode()
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics


def test_every_string_marked_in_the_code_is_in_the_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """makemessages on a copy of the code without its catalog, so it writes a fresh one where told (it would update
    the real one in place otherwise)."""
    source = tmp_path / "source"
    shutil.copytree(ROOT / "compliance_monitor", source / "compliance_monitor", ignore=shutil.ignore_patterns(*SKIP))
    monkeypatch.chdir(source)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=["cs"], ignore_patterns=IGNORED, verbosity=0)
    fresh = entries((tmp_path / "locale" / "cs" / "LC_MESSAGES" / "django.po").read_text())
    assert fresh, "makemessages found no string at all"
    missing = fresh - entries(CATALOG.read_text())
    assert not missing, f"marked in the code, missing from {CATALOG.name}: {sorted(missing)[:20]}"
