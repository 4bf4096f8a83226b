"""/dashboard/organisation and /dashboard/objectives in Debian's Chromium, against the demo
program: a manager reads the organisation's tiles (they agree with ``GET /api/v1/kpis`` over
the page's default range), switches to one group, schedules the report; creates an objective
with the OKR editor (after a mistake that keeps what was typed) and checks in on it. Both
pages pass axe in English and Thai, light and dark, with no CSP violation."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from playwright.async_api import Page, expect

from tests.browser.conftest import Site, api_as, visit
from tests.browser.conftest import sign_in as sign_in_as
from tests.browser.support import DESKTOP, axe_violations, browsing, chromium, csp_violations

MANAGER = "manager@chorus.test"
Scheme = Literal["light", "dark"]
SCHEMES: tuple[Scheme, ...] = ("light", "dark")
LANGUAGES = {"en": "en-US", "th": "th-TH"}


async def tile_value(page: Page, name: str) -> str:
    return " ".join((await page.locator(f"#kpi-{name} .stat__value").inner_text()).split())


async def test_the_organisation_view_agrees_with_the_api(site: Site) -> None:
    async with chromium() as browser, browsing(browser, site.url, device=DESKTOP,
                                               locale="en-US") as context:
        page = await sign_in_as(context, MANAGER, landing=r"/dashboard$")
        await page.get_by_role("link", name="The organisation's KPIs").click()
        await page.wait_for_url("**/dashboard/organisation")
        assert await csp_violations(page) == []
        start = await page.input_value("#range-from")
        end = await page.input_value("#range-to")
        with api_as(site, MANAGER) as client:
            kpis = client.get("/kpis", params={"from": start, "to": end}).json()
            groups = client.get("/groups").json()["items"]
        assert await tile_value(page, "shares") == f"{kpis['shares']:,}"
        assert await tile_value(page, "clicks") == f"{kpis['clicks']:,}"
        assert await tile_value(page, "enrolled") == f"{kpis['enrolled']:,}"
        await expect(page.locator("#kpi-roi")).to_have_count(0)
        await expect(page.locator("#top-posts tbody tr")).to_have_count(len(kpis["top_posts"]))
        await expect(page.locator("#trend-chart table tbody tr")).to_have_count(
            len(kpis["weekly"]))
        # One group's members.
        group = groups[0]
        await page.select_option("#range-group", group["id"])
        await page.get_by_role("button", name="Show").click()
        await page.wait_for_url(f"**group_id={group['id']}*")
        with api_as(site, MANAGER) as client:
            theirs = client.get("/kpis", params={"from": start, "to": end,
                                                 "group_id": group["id"]}).json()
        assert await tile_value(page, "shares") == f"{theirs['shares']:,}"
        # A report by email: a mistake first, what was typed kept, then fixed.
        await page.fill("#schedule-recipients", "boss@example.com, not-an-address")
        await page.get_by_role("button", name="Schedule the report").click()
        await expect(page.locator("#schedule-form [role=alert]")).to_contain_text(
            "No report was scheduled")
        await expect(page.locator("#schedule-recipients")).to_have_value(
            "boss@example.com, not-an-address")
        await page.fill("#schedule-recipients", "boss@example.com")
        await page.get_by_role("button", name="Schedule the report").click()
        await page.wait_for_url("**#reports")
        await expect(page.locator(".dash-schedules tbody")).to_contain_text("boss@example.com")
        assert await csp_violations(page) == []


async def test_the_okr_editor_creates_an_objective_and_checks_in(site: Site) -> None:
    async with chromium() as browser, browsing(browser, site.url, device=DESKTOP,
                                               locale="en-US") as context:
        page = await sign_in_as(context, MANAGER, landing=r"/dashboard$")
        await page.get_by_role("link", name="Objectives and check-ins").click()
        await page.wait_for_url("**/dashboard/objectives")
        await page.fill("#objective-title", "Browser-made objective")
        await page.fill("#objective-starts_on", "2026-01-05")
        await page.fill("#objective-ends_on", "2026-12-27")
        await page.fill("#objective-kr-0-title", "Clicks")
        await page.select_option("#objective-kr-0-metric", "clicks")
        await page.fill("#objective-kr-0-target", "lots")  # a mistake
        await page.fill("#objective-kr-1-title", "Demos booked")
        await page.select_option("#objective-kr-1-kind", "manual")
        await page.fill("#objective-kr-1-unit", "demos")
        await page.fill("#objective-kr-1-target", "12")
        await page.get_by_role("button", name="Create the objective").click()
        await expect(page.locator("#objective-kr-0-target-error")).to_have_text(
            "Enter a number, such as 12 or 0.35.")
        await expect(page.locator("#objective-kr-1-unit")).to_have_value("demos")
        await page.fill("#objective-kr-0-target", "500")
        await page.get_by_role("button", name="Create the objective").click()
        await page.wait_for_url("**/dashboard/objectives#objective-*")
        card = page.locator("article.dash-objective", has_text="Browser-made objective")
        await expect(card).to_contain_text("Only 2 key results")
        # A check-in on the manual key result.
        await card.locator("summary", has_text="Check in").click()
        await card.get_by_label("On", exact=True).select_option(label="Demos booked (by hand)")
        await card.get_by_label("At risk").check()
        await card.get_by_label("New value (key results checked in by hand)").fill("4")
        await card.get_by_role("button", name="Record the check-in").click()
        await page.wait_for_url("**/dashboard/objectives#objective-*")
        card = page.locator("article.dash-objective", has_text="Browser-made objective")
        await expect(card).to_contain_text("4 of 12")
        await expect(card).to_contain_text("Latest confidence: At risk")
        assert await csp_violations(page) == []


async def test_the_pages_pass_axe_in_both_languages_and_schemes(site: Site,
                                                               artefacts: Path) -> None:
    pages = {"organisation": "/dashboard/organisation", "objectives": "/dashboard/objectives"}
    problems: list[str] = []
    async with chromium() as browser, browsing(browser, site.url, device=DESKTOP) as context:
        page = await sign_in_as(context, MANAGER, landing=r"/dashboard$")
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
    assert problems == []
