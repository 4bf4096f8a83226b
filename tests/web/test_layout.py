"""The shared layout: document structure, per-role navigation, forms with labels."""

from __future__ import annotations

import re

import pytest

from tests.builders import Api, Role
from tests.web.pages import browser_of


async def test_layout_structure(api: Api) -> None:
    html = (await api.client.get("/app")).text
    assert html.startswith("<!doctype html>\n<html lang=\"en\">")
    assert '<meta charset="utf-8">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "user-scalable" not in html and "maximum-scale" not in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta name="theme-color"' in html and '<meta name="csrf-token"' in html
    assert '<a class="skip-link" href="#main">' in html
    assert html.count("<header") == 1 and html.count("<main") == 1
    assert '<main id="main"' in html
    assert html.count("<h1") == 1
    assert re.search(r"<title>Sign in · Chorus</title>", html)


async def test_every_input_has_a_label(api: Api) -> None:
    html = (await api.client.get("/login")).text
    ids = re.findall(r'<input id="([^"]+)"', html)
    visible = re.findall(r'<input (?![^>]*type="hidden")[^>]*>', html)
    assert len(ids) == len(visible) == 2
    for input_id in ids:
        assert f'<label for="{input_id}">' in html


@pytest.mark.parametrize(("role", "links"), [
    (Role.advocate, ["/app"]),
    (Role.marketer, ["/app", "/console"]),
    (Role.manager, ["/app", "/dashboard"]),
    (Role.admin, ["/app", "/console", "/dashboard"]),
])
async def test_navigation_shows_the_areas_the_role_opens(api: Api, role: Role,
                                                        links: list[str]) -> None:
    await browser_of(api, role)
    html = (await api.client.get("/app")).text
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert nav
    assert re.findall(r'href="([^"]+)"', nav.group(0)) == links
    assert '<a href="/app" aria-current="page">' in nav.group(0)


async def test_visitors_see_no_navigation_and_no_logout(api: Api) -> None:
    html = (await api.client.get("/app")).text
    assert "site-nav" not in html and 'action="/logout"' not in html
    assert 'action="/language"' in html


async def test_navigation_is_translated(api: Api) -> None:
    await browser_of(api, Role.admin)
    html = (await api.client.get("/app", headers={"Accept-Language": "th"})).text
    assert ">แอป</a>" in html and ">คอนโซล</a>" in html and ">แดชบอร์ด</a>" in html
    assert ">ออกจากระบบ</button>" in html


async def test_language_switch_marks_the_current_language(api: Api) -> None:
    html = (await api.client.get("/app?x=1", headers={"Accept-Language": "th"})).text
    assert 'value="th" lang="th" aria-pressed="true"' in html
    assert 'value="en" lang="en" aria-pressed="false"' in html
    assert '<input type="hidden" name="next" value="/app?x=1">' in html
