"""``manage.py restore SRC``: a backup of ``manage.py backup`` into this ``CM_DATA_DIR`` (a fresh one), then migrate
— a backup from an older version is upgraded like any installation (compliance_monitor/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from compliance_monitor import backup


class Command(BaseCommand):
    help = "Restore a backup folder SRC into CM_DATA_DIR (which must not hold data yet), then migrate."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", type=Path)

    def handle(self, *args: Any, source: Path, **options: Any) -> None:
        try:
            manifest = backup.restore(source)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"restored the backup of {manifest['created_at']} from {source}")
