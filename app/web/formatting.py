"""Locale-aware numbers, percentages, money and dates for the templates (Babel).

Each function takes the language and zone explicitly; ``FILTERS`` wraps them for Jinja with
the page's own (:func:`app.web.i18n.current`). Dates and times are shown in the
organisation's zone (``CHORUS_TIMEZONE``), since that is where its weeks and months run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.numbers import NumberPattern

from app.web import i18n

Number = int | float | Decimal


# A page formats a hundred numbers or more: parse each locale and pattern once, not per call.
@lru_cache(maxsize=16)
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@lru_cache(maxsize=64)
def _pattern(pattern: str) -> NumberPattern:
    return numbers.parse_pattern(pattern)


def _digits(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


def format_number(value: Number, *, language: str) -> str:
    """Grouped digits: ``1,234,567``; fractions as they are."""
    return numbers.format_decimal(value, locale=_locale(language))


def format_decimal(value: Number, digits: int = 2, *, language: str) -> str:
    """Exactly ``digits`` fraction digits: ``1,234.50``."""
    return _pattern(_digits(digits)).apply(value, _locale(language),
                                           decimal_quantization=True)


def format_percent(value: Number, digits: int = 0, *, language: str) -> str:
    """A ratio as a percentage: ``0.123`` → ``12%`` (``12.3%`` with one digit)."""
    return _pattern(_digits(digits) + "%").apply(value, _locale(language))


def format_money(value: Number | str, currency: str, *, language: str) -> str:
    """An amount in an ISO 4217 currency: ``฿1,234.50``; amounts arrive as decimal strings."""
    amount = Decimal(value) if isinstance(value, str) else value
    return numbers.format_currency(amount, currency, locale=_locale(language))


def format_date(value: date | datetime, style: str = "medium", *, language: str,
                tz: ZoneInfo) -> str:
    """A day (``2 Dec 2026``); a datetime is first moved into the organisation's zone."""
    if isinstance(value, datetime):
        value = value.astimezone(tz).date()
    return dates.format_date(value, format=style, locale=_locale(language))


def format_datetime(value: datetime, style: str = "medium", *, language: str,
                    tz: ZoneInfo) -> str:
    """An instant in the organisation's zone: ``2 Dec 2026, 20:05:00``."""
    return dates.format_datetime(value, format=style, tzinfo=tz, locale=_locale(language))


def format_duration(value: timedelta | int | float, *, language: str) -> str:
    """A wait, rounded to its largest unit: ``15 minutes``; plain numbers are seconds."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return dates.format_timedelta(timedelta(seconds=seconds), threshold=1,
                                  locale=_locale(language))


def _number(value: Number) -> str:
    return format_number(value, language=i18n.current().language)


def _decimal(value: Number, digits: int = 2) -> str:
    return format_decimal(value, digits, language=i18n.current().language)


def _percent(value: Number, digits: int = 0) -> str:
    return format_percent(value, digits, language=i18n.current().language)


def _money(value: Number | str, currency: str) -> str:
    return format_money(value, currency, language=i18n.current().language)


def _date(value: date | datetime, style: str = "medium") -> str:
    page = i18n.current()
    return format_date(value, style, language=page.language, tz=page.tz)


def _datetime(value: datetime, style: str = "medium") -> str:
    page = i18n.current()
    return format_datetime(value, style, language=page.language, tz=page.tz)


def _duration(value: timedelta | int | float) -> str:
    return format_duration(value, language=i18n.current().language)


FILTERS: dict[str, Callable[..., str]] = {
    "number": _number,
    "decimal": _decimal,
    "percent": _percent,
    "money": _money,
    "date": _date,
    "datetime": _datetime,
    "duration": _duration,
}
