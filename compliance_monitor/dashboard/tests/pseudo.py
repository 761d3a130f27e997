"""A pseudo-locale: every string that went through gettext comes out as ``⟪…⟫``, so a page rendered in it shows,
unmarked, exactly the text nobody marked for translation — the only way to find strings nobody marked.

``pseudo_locale()`` puts this translation in place of the Czech catalog for the duration (the language is still
``cs``: Czech formats and plural rules apply). ``unmarked(html, data)`` lists the visible text of a page that is
neither marked nor data (codes, names, numbers, dates: what the ERP or a user wrote, shown as written).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

from django.utils import translation
from django.utils.translation import trans_real

OPEN, CLOSE = "⟪", "⟫"
CONTEXT = "\x04"
LANGUAGE = "cs"
VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "time", "textarea"}  # data, or a time's own markup
# The innermost marks: a translated sentence may hold translated values (a duration's "⟪2,0 s⟫" inside
# "⟪last 2 runs: … ⟫"), so marks are taken off from the inside out.
MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", re.DOTALL)
# What is data by its shape: an identifier (digits, dots, underscores, slashes, @, colons), a code in capitals,
# a URL, a number, a date or time, a cron expression. Whatever has no letter left is punctuation.
DATA_SHAPES = re.compile(
    r"https?://\S+|\S+@\S+|\b[\w.-]*[\d_./:@][\w.:/@-]*\b|\b[A-Z][A-Z0-9_-]+\b|[-+]?\d[\d\s.,:]*",
    re.UNICODE,
)
BRAND = (
    "English",
    "Čeština",
    "compliance-monitor",
    "ABRA Flexi",
    "FlexiBee",
    "API",
    "CSV",
    "JSON",
    "YAML",
    "htmx",
    "cron",
    "UTC",
)


class PseudoTranslation(gettext.NullTranslations):
    """Every message marked; plural forms chosen as Czech would (the catalog's plural rule)."""

    def gettext(self, message: str) -> str:
        if CONTEXT in message:
            return mark(message.split(CONTEXT, 1)[1])
        return mark(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:  # type: ignore[override]
        return self.gettext(singular if n == 1 else plural)

    def to_language(self) -> str:
        return LANGUAGE

    def language(self) -> str:
        return LANGUAGE


def mark(message: str) -> str:
    return f"{OPEN}{message}{CLOSE}" if message else message


@contextmanager
def pseudo_locale() -> Iterator[None]:
    saved = trans_real._translations.get(LANGUAGE)
    trans_real._translations[LANGUAGE] = PseudoTranslation()  # type: ignore[assignment]
    try:
        with translation.override(LANGUAGE):
            yield
    finally:
        if saved is None:
            trans_real._translations.pop(LANGUAGE, None)
        else:
            trans_real._translations[LANGUAGE] = saved


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in VISIBLE_ATTRIBUTES and value]
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.found.append(dict(attrs).get("value") or "")
        if tag in SKIPPED_ELEMENTS:
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.found.append(data)


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.found


def unmarked(html: str, data: Iterable[str] = ()) -> list[str]:
    """The visible text of ``html`` that is neither marked nor data: each such piece, stripped."""
    known = sorted({d for d in (*data, *BRAND) if d and d.strip()}, key=len, reverse=True)
    left = []
    for text in visible_text(html):
        rest, taken = text, 1
        while taken:
            rest, taken = MARKED.subn(" ", rest)
        for value in known:
            rest = rest.replace(value, " ")
        rest = DATA_SHAPES.sub(" ", rest)
        if any(ch.isalpha() for ch in rest):
            left.append(" ".join(text.split()))
    return left
