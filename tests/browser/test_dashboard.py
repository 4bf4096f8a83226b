"""/dashboard in Debian's Chromium at a desktop viewport, against the demo program: a manager
opens the running pilot, reads KPI tiles that agree with the API and its charts, and
downloads the weekly CSV; an advocate and a marketer get the 403 page and no pilot; every
dashboard page passes axe in English and Thai, light and dark, with a screenshot of each
(and one of the pilot page on a phone)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
from babel import numbers
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.conftest import Site, api_as, visit
from tests.browser.conftest import sign_in as sign_in_as
from tests.browser.support import (
    DESKTOP,
    PHONE,
    axe_violations,
    browsing,
    chromium,
    csp_violations,
)

MANAGER = "manager@chorus.test"
ADVOCATE = "ana@chorus.test"  # the demo's printed advocate, enrolled in the running pilot
MARKETER = "marketer@chorus.test"
RUNNING = "Rollout pilot: Marketing and Customer Success"
Scheme = Literal["light", "dark"]
SCHEMES: tuple[Scheme, ...] = ("light", "dark")
LANGUAGES = {"en": "en-US", "th": "th-TH"}


@contextmanager
def api(site: Site) -> Iterator[httpx.Client]:
    """The manager at the JSON API: an independent read of what the pages show."""
    with api_as(site, MANAGER) as client:
        yield client


def pilots(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in client.get("/pilots").json()["items"]}


async def sign_in(context: BrowserContext, email: str, landing: str) -> Page:
    return await sign_in_as(context, email, landing=landing)


async def tile_value(page: Page, name: str) -> str:
    return " ".join((await page.locator(f"#kpi-{name} .stat__value").inner_text()).split())


async def test_a_manager_opens_the_running_pilot_and_downloads_its_csv(site: Site) -> None:
    with api(site) as client:
        pilot = pilots(client)[RUNNING]
        kpis = client.get(f"/pilots/{pilot['id']}/kpis").json()
    assert kpis["shares"] > 0 and kpis["clicks"] > 0, "the demo's running pilot is empty"
    async with chromium() as browser, browsing(browser, site.url, device=DESKTOP,
                                               locale="en-US") as context:
        page = await sign_in(context, MANAGER, r"/dashboard$")  # a manager's start page
        assert await csp_violations(page) == []
        await page.get_by_role("link", name=RUNNING).click()
        await page.wait_for_url(re.compile(rf"/dashboard/pilots/{pilot['id']}$"))
        assert await csp_violations(page) == []
        await expect(page.get_by_role("heading", level=1)).to_have_text(RUNNING)
        # The tiles read what the API reports, formatted for English.
        assert await tile_value(page, "enrolled") == f"{kpis['enrolled']:,}"
        assert await tile_value(page, "shares") == f"{kpis['shares']:,}"
        assert await tile_value(page, "clicks") == f"{kpis['clicks']:,}"
        assert await tile_value(page, "participation_rate") == numbers.format_percent(
            kpis["participation_rate"], "#,##0.0%", locale="en_US")
        assert await tile_value(page, "reach") == f"{kpis['reach']:,}"
        # Each tile's definition opens under it.
        definition = page.locator("#kpi-participation_rate details")
        await definition.locator("summary").click()
        await expect(definition.locator("p")).to_have_text("Active advocates ÷ enrolled.")
        # The charts are drawn, each with its data table.
        for chart in ("trend-chart", "by-network-chart", "by-topic-chart", "by-group-chart",
                      "vs-paid-chart"):
            await expect(page.locator(f"#{chart} svg[role=img]")).to_be_visible()
        await expect(page.locator("#vs-paid-chart .chart-ci-whisker")).to_have_count(1)
        weeks = page.locator("#trend-chart table tbody tr")
        await expect(weeks).to_have_count(len(kpis["weekly"]))
        # The weekly CSV, downloaded through the page's link with the page's cookie.
        async with page.expect_download() as info:
            await page.get_by_role("link", name="Weekly KPIs (CSV)").click()
        download = await info.value
        assert download.suggested_filename == f"chorus-pilot-{pilot['id']}-kpis.csv"
        lines = Path(await download.path()).read_text().splitlines()
        assert lines[0].startswith("week_start,week_end,enrolled,active_advocates,")
        assert [line.split(",")[0] for line in lines[1:]] == [
            week["week_start"] for week in kpis["weekly"]]
        assert await csp_violations(page) == []


async def test_an_advocate_and_a_marketer_get_the_403_page_and_no_pilot(site: Site) -> None:
    with api(site) as client:
        known = pilots(client)
    async with chromium() as browser:
        for email, landing in ((ADVOCATE, r"/app$"), (MARKETER, r"/console$")):
            async with browsing(browser, site.url, device=DESKTOP) as context:
                page = await sign_in(context, email, landing)
                for path in ["/dashboard", *(f"/dashboard/pilots/{p['id']}"
                                             for p in known.values())]:
                    await visit(page, path, status=403)
                    await expect(page.get_by_role("heading", level=1)).to_have_text(
                        "This page is not for your role")
                    content = await page.content()
                    assert not any(name in content for name in known), (email, path)
                    assert "Key figures" not in content
                assert await page.get_by_role("link", name="Dashboard").count() == 0


async def test_dashboard_pages_pass_axe_in_both_languages_and_schemes(
        site: Site, artefacts: Path) -> None:
    with api(site) as client:
        pilot = pilots(client)[RUNNING]
    pages = {"pilots": "/dashboard", "pilot": f"/dashboard/pilots/{pilot['id']}",
             "new-pilot": "/dashboard/pilots/new"}
    problems: list[str] = []
    async with chromium() as browser:
        async with browsing(browser, site.url, device=DESKTOP) as context:
            page = await sign_in(context, MANAGER, r"/dashboard$")
            for lang, locale in LANGUAGES.items():
                await context.set_extra_http_headers({"Accept-Language": locale})
                for scheme in SCHEMES:
                    await page.emulate_media(color_scheme=scheme)
                    for name, path in pages.items():
                        await visit(page, path)
                        assert await page.get_attribute("html", "lang") == lang
                        problems += [f"{name} {lang} {scheme}: {v}"
                                     for v in await axe_violations(page)]
                        await page.screenshot(
                            path=artefacts / f"dashboard-{name}-desktop-{scheme}-{lang}.png",
                            full_page=True)
        async with browsing(browser, site.url, device=PHONE) as context:
            page = await sign_in(context, MANAGER, r"/dashboard$")
            phone: tuple[tuple[str, Scheme], ...] = (("en", "light"), ("th", "dark"))
            for lang, scheme in phone:
                await context.set_extra_http_headers({"Accept-Language": LANGUAGES[lang]})
                await page.emulate_media(color_scheme=scheme)
                await visit(page, pages["pilot"])
                problems += [f"pilot phone {lang} {scheme}: {v}"
                             for v in await axe_violations(page)]
                await page.screenshot(
                    path=artefacts / f"dashboard-pilot-phone-{scheme}-{lang}.png",
                    full_page=True)
    assert problems == []
