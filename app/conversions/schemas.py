from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from app.core.schemas import Strict
from app.core.types import Currency, Name, OutDatetime, UtcDatetime

MAX_DIGITS = 18
MAX_PLACES = 6


def _decimal(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be a decimal number, as a string or a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError("must be a decimal number") from exc
    if not number.is_finite() or number < 0:
        raise ValueError("must be a finite amount ≥ 0")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    whole_digits = max(0, number.adjusted() + 1)
    if places > MAX_PLACES or whole_digits > MAX_DIGITS:
        raise ValueError(f"at most {MAX_DIGITS} digits before the point and {MAX_PLACES} after")
    return format(number, "f")


Money = Annotated[str, BeforeValidator(_decimal),
                  Field(description="A decimal amount, sent as a string or a number.")]
ClickIdText = Annotated[str, Field(max_length=64)]
ExternalId = Annotated[str, Field(min_length=1, max_length=200,
                                  description="Your id for this conversion: replays are ignored.")]
ConversionType = Annotated[str, Field(min_length=1, max_length=64,
                                      description="signup, download, webinar, demo, deal…")]


class ConversionCreate(Strict):
    click_id: ClickIdText | None = None
    type: ConversionType
    value: Money | None = None
    currency: Currency | None = None
    occurred_at: UtcDatetime | None = None
    external_id: ExternalId


class SiteConversion(ConversionCreate):
    site_key: Annotated[str, Field(min_length=1, max_length=64)]


class ConversionRead(BaseModel):
    id: str
    external_id: str
    type: str
    click_id: str | None
    share_id: str | None
    advocate_id: str | None
    post_id: str | None
    attributed: bool
    value: str | None
    currency: str
    occurred_at: OutDatetime


_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(?::\d{1,5})?$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _origin(value: str) -> str:
    value = value.strip().rstrip("/").lower()
    problem = ValueError("an origin is scheme://host[:port], like https://www.example.com")
    if not _ORIGIN.match(value):
        raise problem
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises for ports above 65535
    except ValueError as exc:
        raise problem from exc
    host = parts.hostname or ""
    if not host or not all(_LABEL.match(label) for label in host.split(".")):
        raise problem
    return value


Origin = Annotated[str, Field(max_length=300), AfterValidator(_origin)]


class SiteKeyCreate(Strict):
    name: Name
    origins: list[Origin] = Field(min_length=1, max_length=50)


class SiteKeyRead(BaseModel):
    id: str
    name: str
    origins: list[str]
    key: str = Field(description="Publishable: it goes into your site's pages.")
    created_at: OutDatetime


