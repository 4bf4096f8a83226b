"""The pages every area shares: the login form a visitor gets, the 403 page, the offline page
and a page that does not exist. Each passes axe (WCAG 2.2 AA: no serious or critical
violation) in English and Thai, light and dark, under the real CSP."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page

from tests.browser.conftest import Site, sign_in, visit
from tests.browser.support import (
    PHONE,
    axe_violations,
    browsing,
    chromium,
    csp_violations,
)

LANGUAGES = {"en": "en-GB", "th": "th-TH"}
VISITOR_PAGES = {"login": ("/app", 200), "offline": ("/offline", 200),
                 "not-found": ("/app/no-such-page", 404)}


async def _scan(page_name: str, page: Page, lang: str, artefacts: Path) -> list[str]:
    problems: list[str] = []
    for scheme in ("light", "dark"):
        if scheme == "dark":
            await page.emulate_media(color_scheme="dark")
            await page.reload()
        assert await page.get_attribute("html", "lang") == lang
        problems += [f"{page_name} {lang} {scheme}: {v}" for v in await axe_violations(page)]
        assert await csp_violations(page) == [], f"{page_name} {scheme}"
        await page.screenshot(path=artefacts / f"shared-{page_name}-phone-{scheme}-{lang}.png",
                              full_page=True)
    await page.emulate_media(color_scheme="light")
    return problems


async def test_shared_pages_pass_axe_in_both_languages_and_schemes(
        site: Site, artefacts: Path) -> None:
    problems: list[str] = []
    async with chromium() as browser:
        for lang, locale in LANGUAGES.items():
            async with browsing(browser, site.url, device=PHONE, locale=locale,
                                reduced_motion="reduce") as context:
                page = await context.new_page()
                for name, (path, status) in VISITOR_PAGES.items():
                    await visit(page, path, status)
                    problems += await _scan(name, page, lang, artefacts)
            async with browsing(browser, site.url, device=PHONE, locale=locale,
                                reduced_motion="reduce") as context:
                page = await sign_in(context, "ana@chorus.test", start="/app",
                                     landing=r"/app$")
                await visit(page, "/console", 403)
                problems += await _scan("forbidden", page, lang, artefacts)
    assert problems == []
