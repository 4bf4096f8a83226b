"""The pages' languages: English (the source) and Thai, chosen per request.

The locale of a request is the signed-in user's ``language`` setting, else the language the
visitor picked in the header (the ``chorus_lang`` cookie), else the best match of
``Accept-Language``, else English. Catalogs live in ``app/web/translations`` (``make
translations`` extracts, updates and compiles them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.core import negotiate_locale
from babel.support import NullTranslations, Translations

LANGUAGES = ("en", "th")
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "chorus_lang"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"
# Each page area keeps its own catalog (its strings: app/web/<folder>/ and
# app/web/templates/<folder>/), so that people working on two pages never edit one file;
# `messages` holds the rest (layout, sign-in, errors, charts). All are merged at load time.
AREA_DOMAINS = {"advocate": "app", "console": "console", "dashboard": "dashboard"}
# The emails' strings (app/digests/ and its templates) are a catalog of their own.
EMAIL_DOMAIN = "email"
DOMAINS = (DOMAIN, *AREA_DOMAINS.values(), EMAIL_DOMAIN)
_MAX_ACCEPT_LANGUAGE = 1024


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def domain_of(path: str) -> str:
    """The catalog a string belongs to, by the file it is written in (relative to the
    repository, with forward slashes)."""
    parts = path.split("/")
    if parts[:2] == ["app", "digests"]:
        return EMAIL_DOMAIN
    for prefix in (("app", "web"), ("app", "web", "templates")):
        n = len(prefix)
        if tuple(parts[:n]) == prefix and len(parts) > n + 1 and parts[n] in AREA_DOMAINS:
            return AREA_DOMAINS[parts[n]]
    return DOMAIN


@lru_cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogs of ``language``, merged; English is the source text itself."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    merged = Translations.load(str(TRANSLATIONS_DIR), [language], domain=DOMAIN)
    for domain in DOMAINS[1:]:
        if (TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{domain}.mo").exists():
            part = Translations.load(str(TRANSLATIONS_DIR), [language], domain=domain)
            if isinstance(merged, Translations) and isinstance(part, Translations):
                merged.merge(part)
    return merged


def supported(language: str | None) -> str | None:
    """``language`` when the pages are written in it, else None."""
    value = (language or "").strip().lower()
    return value if value in LANGUAGES else None


def negotiate(accept_language: str | None) -> str | None:
    """The best of our languages for an ``Accept-Language`` header (q-values honoured)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:_MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    preferred = [tag for _, _, tag in sorted(weighted)]
    return supported(negotiate_locale(preferred, list(LANGUAGES), sep="-"))


def choose(*, user_language: str | None, cookie: str | None,
           accept_language: str | None) -> str:
    return (supported(user_language) or supported(cookie) or negotiate(accept_language)
            or DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class PageLocale:
    """What text and numbers are rendered in: the language and the organisation's zone."""

    language: str = DEFAULT_LANGUAGE
    tz: ZoneInfo = ZoneInfo("UTC")

    @property
    def translations(self) -> NullTranslations:
        return translations(self.language)


# Set around each render, so that macros imported without context (charts) and the
# formatting filters see the page's language too.
_current: ContextVar[PageLocale | None] = ContextVar("chorus_page_locale", default=None)
_DEFAULT = PageLocale()


def current() -> PageLocale:
    return _current.get() or _DEFAULT


@contextmanager
def using(locale: PageLocale) -> Iterator[None]:
    """Render in ``locale`` inside the block."""
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return current().translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return current().translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return str(current().translations.pgettext(context, message))


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return str(current().translations.npgettext(context, singular, plural, n))
