"""Small helpers shared by the management commands: tables, JSON, and clean input errors."""

from __future__ import annotations

import dataclasses
import getpass
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from compliance_monitor.accounts.audit import recorded_as


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key: to_jsonable(item) for key, item in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, default=str, ensure_ascii=False)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)]
    lines = ["  ".join(header.upper().ljust(width) for header, width in zip(headers, widths, strict=True))]
    lines += ["  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def validation_error(exc: ValidationError) -> CommandError:
    """A ValidationError as one readable line per field, no traceback."""
    if hasattr(exc, "error_dict"):
        text = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
    else:
        text = " ".join(exc.messages)
    return CommandError(f"invalid input — {text}")


def parse_key_values(pairs: Sequence[str], *, option: str) -> dict[str, Any]:
    """``["seconds=2", "mode=fast"]`` → ``{"seconds": 2, "mode": "fast"}`` (values parsed as JSON if they can be)."""
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"{option} expects KEY=VALUE, got {pair!r}")
        try:
            parsed[key] = json.loads(raw)
        except ValueError:
            parsed[key] = raw
    return parsed


Explanations = dict[type[Exception], Callable[[Exception, dict[str, Any]], str]]


class SubcommandCommand(BaseCommand):
    """A command with sub-actions: ``do_<action>(options) -> str`` methods, and clean errors.

    ``explain`` maps an exception type to its message (given the exception and the options); a
    ValidationError always becomes one line per field. Anything listed never shows a traceback.
    """

    explain: ClassVar[Explanations] = {}

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        handler: Callable[[dict[str, Any]], str] = getattr(self, f"do_{action.replace('-', '_')}")
        try:
            with recorded_as(self.actor()):  # configuration changed here is audited under the caller's name
                self.stdout.write(handler(options))
        except ValidationError as exc:
            raise validation_error(exc) from None
        except tuple(self.explain) as exc:
            message = next(explain for kind, explain in self.explain.items() if isinstance(exc, kind))
            raise CommandError(message(exc, options)) from None

    @staticmethod
    def actor() -> str:
        """Who acts from the command line: recorded as triggered_by / acknowledged_by / …"""
        return f"cli:{getpass.getuser()}"
