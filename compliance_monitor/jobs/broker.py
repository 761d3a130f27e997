"""A crash-safe variant of kombu's ``filesystem://`` transport for the embedded profile.

kombu's own transport creates a message file, *then* locks and writes it, while a reader moves any
matching file away without looking at the lock: a reader can take a message before its bytes are
written, fail to decode it, and take the whole worker down ("Unrecoverable error: JSONDecodeError").
Here a message becomes visible only by an atomic rename after it is fully written, and a reader
claims a file by an atomic rename, so exactly one reader gets it. An unreadable file is logged and
set aside, never fatal.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

import structlog
from kombu.transport import filesystem
from kombu.utils.json import dumps, loads

log = structlog.get_logger(__name__)
HIDDEN = "."  # files being written or claimed start with a dot and match no queue


class BrokerWriteError(OSError):
    """A message could not be written to the broker folder (the run stays queued; the reaper sends it again)."""


class Channel(filesystem.Channel):
    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:  # type: ignore[override]  # stubs disagree
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        partial = folder / f"{HIDDEN}writing-{name}"
        try:
            self._write(partial, dumps(message).encode())
            partial.replace(folder / name)
        except OSError as exc:  # a full or read-only disk: nothing half-written is left, the sender hears why
            partial.unlink(missing_ok=True)
            log.error("broker_write_failed", folder=str(folder), error=exc.strerror or str(exc))
            raise BrokerWriteError(f"the broker folder {folder} cannot be written: {exc.strerror or exc}") from exc

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.write_bytes(data)

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        folder = Path(self.data_folder_in)
        wanted = f"{queue}.msg"
        for name in sorted(entry.name for entry in folder.iterdir()):
            if name.startswith(HIDDEN) or name.partition(".")[2] != wanted:
                continue
            claimed = folder / f"{HIDDEN}claimed-{os.getpid()}-{name}"
            try:
                (folder / name).rename(claimed)
            except FileNotFoundError:
                continue  # another consumer claimed it first
            payload = self._read_claimed(claimed)
            if payload is not None:
                return payload
        raise Empty()

    @staticmethod
    def _read_claimed(claimed: Path) -> Any:
        try:
            payload = loads(claimed.read_bytes().decode())
        except ValueError as exc:
            corrupt = claimed.with_name(f"{HIDDEN}corrupt-{claimed.name}")
            claimed.rename(corrupt)
            log.error("broker_message_unreadable", path=str(corrupt), error=str(exc))
            return None
        claimed.unlink()
        return payload


class Transport(filesystem.Transport):
    Channel = Channel
