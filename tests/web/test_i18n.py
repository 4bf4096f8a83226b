"""English and Thai pages: the user's setting, the header's switch, Accept-Language, and the
locale-aware filters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from jinja2 import DictLoader

from app.models import User
from app.web import i18n
from app.web.formatting import (
    format_date,
    format_datetime,
    format_decimal,
    format_duration,
    format_money,
    format_number,
    format_percent,
)
from app.web.i18n import PageLocale
from app.web.templating import environment
from tests.builders import Api, Role
from tests.web.pages import browser_of, csrf_of

BANGKOK = ZoneInfo("Asia/Bangkok")


@pytest.mark.parametrize(("header", "language"), [
    ("th", "th"), ("th-TH,th;q=0.9,en;q=0.8", "th"), ("en-US,en;q=0.9,th;q=0.8", "en"),
    ("fr-FR,th;q=0.5", "th"), ("en;q=0.2,th;q=0.9", "th"), ("th;q=0,en", "en"),
    ("fr", None), ("", None), (None, None), ("*", None), ("TH-th", "th"),
])
def test_accept_language_is_negotiated(header: str | None, language: str | None) -> None:
    assert i18n.negotiate(header) == language


def test_user_setting_beats_cookie_and_header() -> None:
    assert i18n.choose(user_language="en", cookie="th", accept_language="th") == "en"
    assert i18n.choose(user_language=None, cookie="th", accept_language="en") == "th"
    assert i18n.choose(user_language=None, cookie="xx", accept_language="fr") == "en"


async def test_accept_language_th_gives_a_thai_page(api: Api) -> None:
    response = await api.client.get("/app", headers={"Accept-Language": "th-TH,th;q=0.9"})
    assert '<html lang="th">' in response.text
    assert "เข้าสู่ระบบ Chorus" in response.text and "Sign in to Chorus" not in response.text
    assert response.headers["content-language"] == "th"
    assert response.headers["vary"] == "Cookie, Accept-Language"


async def test_english_is_the_default(api: Api) -> None:
    response = await api.client.get("/app", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in response.text and "Sign in to Chorus" in response.text


async def _set_language(api: Api, user: User, language: str | None) -> None:
    async with api.db.transaction() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        stored.language = language


async def test_user_language_overrides_the_header(api: Api) -> None:
    user, _ = await browser_of(api, Role.advocate, name="Somchai")
    await _set_language(api, user, "en")
    response = await api.client.get("/app", headers={"Accept-Language": "th"})
    assert '<html lang="en">' in response.text and "Hello Somchai" in response.text
    await _set_language(api, user, "th")
    response = await api.client.get("/app", headers={"Accept-Language": "en"})
    assert '<html lang="th">' in response.text and "สวัสดี Somchai" in response.text


async def test_no_user_language_follows_the_header(api: Api) -> None:
    await browser_of(api, Role.advocate, name="Malee")
    response = await api.client.get("/app", headers={"Accept-Language": "th"})
    assert "สวัสดี Malee" in response.text


async def test_language_switch_sets_the_users_setting(api: Api) -> None:
    user, _ = await browser_of(api, Role.advocate)
    token = csrf_of((await api.client.get("/app")).text)
    response = await api.client.post("/language", data={
        "csrf_token": token, "language": "th", "next": "/app?tab=feed"})
    assert response.status_code == 303 and response.headers["location"] == "/app?tab=feed"
    async with api.db.transaction() as session:
        stored = await session.get(User, user.id)
        assert stored is not None and stored.language == "th"


async def test_language_switch_remembers_a_visitors_choice(api: Api) -> None:
    token = csrf_of((await api.client.get("/app")).text)
    response = await api.client.post("/language", data={
        "csrf_token": token, "language": "th", "next": "//evil.example"})
    assert response.status_code == 303 and response.headers["location"] == "/"
    page = await api.client.get("/app", headers={"Accept-Language": "en"})
    assert '<html lang="th">' in page.text


async def test_language_switch_needs_the_token(api: Api) -> None:
    await api.client.get("/app")
    response = await api.client.post("/language", data={"language": "th", "next": "/app"})
    assert response.status_code == 403
    assert i18n.LANGUAGE_COOKIE not in response.cookies


def test_thai_numbers_and_money() -> None:
    assert format_number(1234567, language="th") == "1,234,567"
    assert format_decimal(Decimal("1234.5"), 2, language="th") == "1,234.50"
    assert format_percent(0.1234, language="th") == "12%"
    assert format_percent(0.1234, 1, language="en") == "12.3%"
    assert format_money("1234.50", "THB", language="th") == "฿1,234.50"
    assert format_money(Decimal("99"), "USD", language="en") == "$99.00"


def test_thai_dates_are_in_the_organisations_zone() -> None:
    # 20:30 UTC on 1 December is already 2 December in Bangkok (UTC+7).
    late = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
    assert format_date(late, language="th", tz=BANGKOK) == "2 ธ.ค. 2026"
    assert format_date(late, language="en", tz=ZoneInfo("UTC")) == "Dec 1, 2026"
    assert format_date(date(2026, 12, 2), "long", language="th", tz=BANGKOK) \
        == "2 ธันวาคม ค.ศ. 2026"
    assert format_datetime(late, language="th", tz=BANGKOK) == "2 ธ.ค. 2026 03:30:00"
    assert format_duration(840, language="th") == "14 นาที"
    assert format_duration(840, language="en") == "14 minutes"


def test_filters_and_strings_follow_the_page_locale_even_in_imported_macros() -> None:
    # Macros imported without context (the charts) see no render variables: the page's
    # language must reach them anyway.
    env = environment().overlay(loader=DictLoader({
        "probe.html": "{% macro probe(when) %}{{ 1234.5|decimal }} {{ when|date }} "
                      "{{ _('Sign in') }}{% endmacro %}",
    }))
    template = env.from_string('{% import "probe.html" as m %}{{ m.probe(when) }}')
    when = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
    with i18n.using(PageLocale("th", BANGKOK)):
        assert template.render(when=when) == "1,234.50 2 ธ.ค. 2026 เข้าสู่ระบบ"
    assert template.render(when=when) == "1,234.50 Dec 1, 2026 Sign in"
