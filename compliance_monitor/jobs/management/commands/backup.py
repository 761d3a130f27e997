"""``manage.py backup DEST``: the embedded profile's database, encryption key and settings secrets, into a new
folder (compliance_monitor/backup.py). Safe while the service runs (SQLite's online backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from compliance_monitor import backup


class Command(BaseCommand):
    help = "Back up the embedded profile (database, encryption key, secret key) into a new folder DEST."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("destination", type=Path)

    def handle(self, *args: Any, destination: Path, **options: Any) -> None:
        try:
            manifest = backup.backup(destination, now=timezone.now())
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"backed up into {destination}: {', '.join(manifest['files'])}")
        self.stdout.write("it holds the encryption key of the ERP passwords: keep it as safe as the passwords")
