"""``manage.py setup``: prepare the database for a deployment — migrate, static files, connections, the rule library
and the default job. Idempotent: the distributed profile's units run it before the service starts (docs/deploy)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from compliance_monitor import catalogs
from compliance_monitor.jobs import setup


class Command(BaseCommand):
    help = "Migrate, collect static files, and create the connections, rule library and default job when missing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-static", action="store_true", help="skip collectstatic (a worker-only machine)")

    def handle(self, *args: Any, no_static: bool, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        for catalog in catalogs.compile_missing():
            self.stdout.write(f"compiled the translation catalog {catalog.parent.parent.name}")
        if not no_static:
            call_command("collectstatic", interactive=False, verbosity=0)
        for line in setup.set_up(now=timezone.now()):
            self.stdout.write(line)
        if not setup.has_administrator():
            self.stdout.write(
                self.style.WARNING("no administrator yet: create the first one with `manage.py createsuperuser`")
            )
        self.stdout.write("set up: the database is ready")
