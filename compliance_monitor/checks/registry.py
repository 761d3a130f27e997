"""Which checks exist, by name. Jobs refer to checks by these names."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from compliance_monitor.checks.base import Check

_checks: dict[str, Check] = {}


def register(check: Check) -> Check:
    _checks[check.name] = check
    return check


def get(name: str) -> Check:
    """A built-in check, or a check definition stored in the database (``checks/definitions.py``)."""
    if name in _checks:
        return _checks[name]
    from compliance_monitor.checks import definitions

    found = definitions.check_named(name)
    if found is None:
        raise ValidationError(f"unknown check {name!r}; known checks: {', '.join(names()) or 'none'}")
    return found


def names() -> list[str]:
    from compliance_monitor.checks import definitions

    return sorted({*_checks, *definitions.names()})


def built_in_names() -> list[str]:
    return sorted(_checks)


def validate_check_names(value: object) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise ValidationError("checks must be a non-empty list of check names")
    for name in value:
        get(name)


def labelled() -> list[tuple[str, str]]:
    """(name, what people read) for pickers: a definition's title with its name, a built-in check's name."""
    from compliance_monitor.checks import definitions

    titles = definitions.titles()
    return [(name, f"{titles[name]} ({name})" if name in titles else name) for name in names()]
