"""A check definition's texts for people, in the active language (issue 15).

Shipped definitions carry their title and description by language (``title: {en: …, cs: …}``); a user-written
plain string (read as English) is shown as written, whatever the language. A language a definition lacks falls back
to English, then to any text it has.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from compliance_monitor.checks.definition import Definition


def active_language() -> str:
    """The active language's code without its region ("cs", "en"); the installation's when none is active."""
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0].lower()


def title_in(definition: Definition, language: str | None = None) -> str:
    return definition.title_in(language or active_language())


def description_in(definition: Definition, language: str | None = None) -> str:
    texts = definition.description
    return texts.get(language or active_language()) or texts.get("en") or next(iter(texts.values()), "")
