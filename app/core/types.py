"""Pydantic field types shared by several domains."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from babel.numbers import is_currency
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, PlainSerializer

from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.core.errors import Invalid

FIRST_YEAR, LAST_YEAR = 2000, 2999
"""Every date and time the API takes lies in these years."""


def _email(value: str) -> str:
    try:
        # Syntax only: no DNS, and reserved test domains (ana@corp.test) are fine.
        checked = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return checked.normalized.lower()


def _http_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    if any(ch in value for ch in "\r\n\t\x00 "):
        raise ValueError("must not contain whitespace or control characters")
    return value


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _in_utc_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is outside the range of representable UTC times") from exc
    if not FIRST_YEAR <= utc.year <= LAST_YEAR:
        raise ValueError(f"must be in the years {FIRST_YEAR}–{LAST_YEAR}")
    return utc


def _currency(value: str) -> str:
    if not is_currency(value):
        raise ValueError(f"{value} is not an ISO 4217 currency code")
    return value


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


Email = Annotated[str, Field(max_length=320, json_schema_extra={"format": "email"}),
                  AfterValidator(_email)]
HttpUrl = Annotated[str, Field(max_length=2048, json_schema_extra={"format": "uri"}),
                    AfterValidator(_http_url)]
Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)]
Name = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=5000)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc_range),
                        PlainSerializer(_utc_iso, return_type=str, when_used="json")]
"""Input must carry an offset; output is always UTC with ``Z``."""
OutDatetime = Annotated[datetime, PlainSerializer(_utc_iso, return_type=str, when_used="json")]
Id = Annotated[str, Field(min_length=1, max_length=64, description="An opaque id.")]
MAX_COUNT = 2**31 - 1  # counts are stored in 32-bit integer columns on every backend
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Day = Annotated[date, Field(ge=date(FIRST_YEAR, 1, 1), le=date(LAST_YEAR, 12, 31),
                            description="A calendar day, YYYY-MM-DD (2000–2999).")]
"""Days people plan with; the bounds keep date arithmetic (next day, next week) in range."""
MAX_SPAN_DAYS = 366 * 5


def changed_span(changes: dict[str, Any], starts_on: date, ends_on: date) -> tuple[date, date]:
    """The period after a PATCH that may move either end; 422 when it no longer holds."""
    new = changes.get("starts_on") or starts_on, changes.get("ends_on") or ends_on
    try:
        check_span(*new)
    except ValueError as exc:
        raise Invalid(str(exc), loc=["body", "ends_on"]) from exc
    return new


def check_span(starts_on: date, ends_on: date) -> None:
    """Pilots, objectives and KPI ranges: in order, and at most five years long."""
    if ends_on < starts_on:
        raise ValueError("ends_on must not be before starts_on")
    if (ends_on - starts_on).days >= MAX_SPAN_DAYS:
        raise ValueError(f"a period spans at most {MAX_SPAN_DAYS} days")
Currency = Annotated[str, BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
                     Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR."),
                     AfterValidator(_currency)]
"""Codes CLDR knows (Babel's list): current and historical ISO 4217 currencies."""
