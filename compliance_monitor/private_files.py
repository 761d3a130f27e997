"""Secrets the embedded profile keeps in its data folder: generated once, 0600 from birth, never half-written."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The text in ``path``; the first caller writes ``make()`` to a private temporary file and links it into
    place (the link fails if another process won the race), so every process reads the same whole value."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_text().strip()
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(make())
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text().strip()
