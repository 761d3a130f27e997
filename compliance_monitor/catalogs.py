"""The translation catalogs (``locale/<lang>/LC_MESSAGES/django.po``) compiled where the build did not: ``make``
compiles them for ``make run`` and ``make test``; ``manage.py setup`` (every deployment's first step) compiles any
missing or older than its ``.po`` with GNU gettext's ``msgfmt``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from django.conf import settings


class CatalogError(RuntimeError):
    """A catalog could not be compiled."""


def stale() -> list[Path]:
    found = [po for folder in settings.LOCALE_PATHS for po in Path(folder).glob("*/LC_MESSAGES/django.po")]
    return [po for po in found if not _fresh(po.with_suffix(".mo"), po)]


def compile_missing() -> list[Path]:
    """Compile every stale catalog; the ones compiled."""
    todo = stale()
    if todo and shutil.which("msgfmt") is None:
        raise CatalogError(
            "the Czech pages need GNU gettext's msgfmt to compile their catalog: apt-get install gettext"
        )
    for po in todo:
        done = subprocess.run(["msgfmt", "--check", "-o", str(po.with_suffix(".mo")), str(po)], capture_output=True)
        if done.returncode != 0:
            raise CatalogError(f"{po}: {done.stderr.decode(errors='replace').strip()}")
    return todo


def _fresh(mo: Path, po: Path) -> bool:
    return mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime
