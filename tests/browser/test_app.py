"""/app in Debian's Chromium at a phone's viewport (360 × 740), against the demo program: an
advocate signs in, accepts the sharing policy, edits a caption, shares and opens the
leaderboard; the share sheet (navigator.share stubbed) shared and cancelled; the network
links where the sheet is missing; blocked words and the daily cap said before anything is
shared; the app installable, its static files served by the service worker; and every page
through axe in English and Thai, light and dark, with a screenshot of each."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Route, async_playwright, expect

from tests.browser.conftest import Site, api_as, visit
from tests.browser.conftest import sign_in as sign_in_as
from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CSP_LISTENER,
    PHONE,
    WAIT_MS,
    axe_violations,
    browsing,
    chromium,
    csp_violations,
)

ADMIN = "admin@chorus.test"
DISCLOSURE = "#KestrelTeam"
POLICY_VERSION = "browser-1"
BLOCKED = "confidential"
SCHEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
LANGUAGES = {"en": "en-GB", "th": "th-TH"}
NETWORK_STUB = "<!doctype html><title>Network</title><p>The network's share page</p>"
# navigator.share as a phone has it: it records what it was given, then resolves, or
# rejects as a person cancelling the sheet does (window.__shareMode = "cancel").
SHARE_SHEET = """
window.__shares = [];
window.__shareMode = "share";
Object.defineProperty(navigator, 'share', {configurable: true, value: data => {
  window.__shares.push(data);
  return window.__shareMode === 'cancel'
    ? Promise.reject(new DOMException('', 'AbortError')) : Promise.resolve();
}});
Object.defineProperty(navigator, 'canShare', {configurable: true, value: () => true});
"""


@contextmanager
def admin(site: Site) -> Iterator[httpx.Client]:
    with api_as(site, ADMIN) as client:
        yield client


def set_sharing(site: Site, **changes: Any) -> None:
    with admin(site) as client:
        current = client.get("/settings/sharing").json()
        saved = client.put("/settings/sharing", json={**current, **changes})
        assert saved.status_code == 200, saved.text


@pytest.fixture(scope="module", autouse=True)
def sharing_rules(site: Site) -> None:
    """This module's sharing settings, whatever the demo set: a new policy version that every
    advocate has to accept, a disclosure, a blocked word and a generous cap."""
    set_sharing(site, disclosure=DISCLOSURE, daily_share_cap=100, blocked_words=[BLOCKED],
                policy={"version": POLICY_VERSION,
                        "text": "Share in your own words. Never share anything confidential."})


def query(site: Site, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(site.database)) as db:
        return db.execute(sql, args).fetchall()


def user_id(site: Site, email: str) -> str:
    [(found,)] = query(site, "SELECT id FROM users WHERE email = ?", email)
    return str(found)


def shares_of(site: Site, email: str, post_id: str) -> dict[str, tuple[str, str]]:
    """network → (code, caption) of the user's shares of the post."""
    rows = query(site, "SELECT network, code, caption FROM shares WHERE user_id = ? AND "
                 "post_id = ?", user_id(site, email), post_id)
    return {network: (code, caption) for network, code, caption in rows}


async def eventually(check: Callable[[], bool], seconds: float = 5) -> None:
    """Wait for something the page does after the tap (a confirmation sent in the background)."""
    for _ in range(int(seconds * 10)):
        if check():
            return
        await asyncio.sleep(0.1)
    assert check()


async def sign_in(context: BrowserContext, email: str) -> Page:
    """Through the real login form that /app shows a visitor."""
    return await sign_in_as(context, email, start="/app", landing=r"/app$")


async def accept_policy(page: Page) -> None:
    policy = page.locator("#policy")
    await expect(policy).to_be_visible()
    await policy.locator("button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/app$"))
    await expect(page.locator("#policy")).to_have_count(0)


async def stub_networks(context: BrowserContext) -> None:
    """The networks' share pages, answered here: the tests never reach the internet."""
    async def fulfil(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html", body=NETWORK_STUB)

    for pattern in ("https://www.linkedin.com/**", "https://x.com/**", "https://wa.me/**",
                    "https://www.facebook.com/**"):
        await context.route(pattern, fulfil)


def first_card(page: Page) -> Any:
    return page.locator("article[data-share-card]").first


async def unshared_card(page: Page, site: Site, email: str) -> tuple[Any, str]:
    """The first card of a post the user has not shared (the demo data shares some)."""
    cards = page.locator("article[data-share-card]")
    for index in range(await cards.count()):
        card = cards.nth(index)
        post_id = await post_id_of(card)
        if shares_of(site, email, post_id) == {}:
            return card, post_id
    raise AssertionError(f"{email} has shared every post of the feed")


async def post_id_of(card: Any) -> str:
    found = await card.get_attribute("data-post-id")
    assert found
    return str(found)


async def follow(page: Page, link: Any) -> Page:
    """Tap a network link (it opens a new tab) and give the tab, once it has landed."""
    async with page.context.expect_page() as opened:
        await link.click()
    tab = await opened.value
    await tab.wait_for_load_state()
    return tab


async def test_an_advocate_edits_a_caption_shares_and_opens_the_leaderboard(site: Site) -> None:
    email = "ana@chorus.test"
    async with chromium() as browser, browsing(browser, site.url, device=PHONE) as context:
        await stub_networks(context)
        page = await sign_in(context, email)
        # The policy comes first: no share control before it is accepted.
        await expect(page.locator("#policy")).to_contain_text("Never share anything confidential")
        assert await page.locator("a[data-intent]").count() == 0
        await accept_policy(page)
        card = first_card(page)
        post_id = await post_id_of(card)
        # Headless Chromium has no navigator.share: the network links are the way to share.
        await expect(card.locator("[data-share-native]")).to_be_hidden()
        linkedin = card.locator("a[data-intent='linkedin']")
        await expect(linkedin).to_be_visible()
        href = await linkedin.get_attribute("href") or ""
        assert href.startswith(f"/app/share/{post_id}/linkedin?t=")
        await card.locator("summary").click()
        await card.locator("textarea[name=caption]").fill("Proud of what my team shipped")
        await expect(card.locator("[data-caption-words]")).to_have_text(
            "Proud of what my team shipped")
        # What X would count: the words, the disclosure, and the link as 23 with a space.
        for_x = len(f"Proud of what my team shipped {DISCLOSURE}") + 24
        await expect(card.locator("[data-x-counter]")).to_have_text(
            f"For X: {for_x} of 280 characters")
        tab = await follow(page, linkedin)
        assert tab.url.startswith("https://www.linkedin.com/sharing/share-offsite/?url=")
        await tab.close()
        shared = shares_of(site, email, post_id)
        code, caption = shared["linkedin"]
        assert caption == f"Proud of what my team shipped {DISCLOSURE}"
        assert parse_qs(urlsplit(tab.url).query)["url"] == [f"{site.url}/s/{code}"]
        tracked = httpx.get(f"{site.url}/s/{code}", follow_redirects=False)
        assert tracked.status_code == 302 and tracked.headers["location"].startswith("http")
        await page.get_by_role("link", name="Leaderboard").click()
        await page.wait_for_url(re.compile(r"/app/leaderboard$"))
        assert await csp_violations(page) == []
        await expect(page.locator("tr.board__me")).to_contain_text("Ana Alves")
        await expect(page.locator(".board-you")).to_contain_text("in the whole program")
        # The period switch swaps the board in place (htmx) and keeps the address right.
        await page.get_by_role("link", name="This month").click()
        await page.wait_for_url(re.compile(r"/app/leaderboard\?period=month$"))
        await expect(page.locator("#board caption")).to_have_text("This month")
        await expect(page.locator("tr.board__me")).to_contain_text("Ana Alves")
        assert await page.locator("#board").count() == 1
        assert await csp_violations(page) == []


async def test_an_advocate_suggests_a_link_and_gives_this_weeks_feedback(site: Site) -> None:
    email = "greta@chorus.test"
    today = datetime.now(UTC).date()
    with admin(site) as client:
        pilot = client.post("/pilots", json={
            "name": "Browser pilot", "starts_on": str(today.replace(day=1)),
            "ends_on": f"{today.year + 1}-01-31", "user_ids": [user_id(site, email)]})
        assert pilot.status_code == 201, pilot.text
    pilot_id = pilot.json()["id"]
    async with chromium() as browser, browsing(browser, site.url, device=PHONE) as context:
        page = await sign_in(context, email)
        await page.get_by_role("link", name="More", exact=True).click()
        await page.get_by_role("link", name="Suggest a link").click()
        await page.fill("#suggest-url", "https://blog.example/advocacy-that-works")
        await page.fill("#suggest-note", "Our customers quote this one.")
        await page.get_by_role("button", name="Send suggestion").click()
        await expect(page.locator(".alert--success")).to_have_text(
            "Thank you! Your suggestion is waiting for review.")
        await expect(page.locator(".suggestions")).to_contain_text(
            "https://blog.example/advocacy-that-works")
        assert await csp_violations(page) == []

        await visit(page, "/app/feedback")
        section = page.locator(f"#pilot-{pilot_id}")
        await section.get_by_text("9", exact=True).click()
        await section.locator("textarea").fill("Sharing from my phone is easy.")
        await section.get_by_role("button", name="Send feedback").click()
        # htmx puts the pilot's answer in place of its form.
        await expect(page.locator(f"#pilot-{pilot_id} .alert--success")).to_have_text(
            "Thank you! Your feedback for this week is recorded.")
        assert page.url.endswith("/app/feedback")
        assert query(site, "SELECT score, comment FROM feedback WHERE pilot_id = ?",
                     pilot_id) == [(9, "Sharing from my phone is easy.")]
        assert await csp_violations(page) == []


async def test_the_share_sheet_shares_or_is_cancelled(site: Site) -> None:
    email = "bruno@chorus.test"
    async with chromium() as browser, browsing(browser, site.url, device=PHONE) as context:
        await context.add_init_script(SHARE_SHEET)
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
        page = await sign_in(context, email)
        await accept_policy(page)
        cards = page.locator("article[data-share-card]")
        # Three cards of posts the demo's history has this user share on no network (which
        # posts those are depends on the day the demo is made).
        fresh = [card for card in [cards.nth(n) for n in range(await cards.count())]
                 if shares_of(site, email, await post_id_of(card)) == {}]
        assert len(fresh) >= 3, "the demo gave this advocate too few unshared posts"
        shared_card, cancelled_card, copied_card = fresh[:3]
        shared_post = await post_id_of(shared_card)
        cancelled_post = await post_id_of(cancelled_card)
        native_url = await shared_card.get_attribute("data-native-url")
        assert native_url and native_url.startswith(f"{site.url}/s/")

        await shared_card.locator("[data-share-native]").click()
        await expect(shared_card.locator("[data-share-status]")).to_have_text("Shared ✓")
        await expect(shared_card.locator("[data-shared-list]")).to_contain_text("Share sheet ✓")
        [given] = await page.evaluate("window.__shares")
        assert given["url"] == native_url and given["text"].endswith(DISCLOSURE)
        assert native_url not in given["text"]  # the link once, not twice
        await eventually(lambda: "native" in shares_of(site, email, shared_post))
        code, _ = shares_of(site, email, shared_post)["native"]
        assert native_url == f"{site.url}/s/{code}"  # the code the feed reserved

        await page.evaluate("window.__shareMode = 'cancel'")
        await cancelled_card.locator("[data-share-native]").click()
        await expect(cancelled_card.locator("[data-share-status]")).to_have_text("Share cancelled")
        await asyncio.sleep(0.5)
        # Cancelled: nothing is recorded (the reserved link would still count if followed).
        assert shares_of(site, email, cancelled_post) == {}

        # "Copy link": a copy share, its tracked link on the clipboard.
        copied_post = await post_id_of(copied_card)
        await copied_card.locator("[data-copy-link]").click()
        await expect(copied_card.locator("[data-share-status]")).to_have_text("Link copied")
        code, _ = shares_of(site, email, copied_post)["copy"]
        assert await page.evaluate("navigator.clipboard.readText()") == f"{site.url}/s/{code}"
        assert await csp_violations(page) == []


async def test_the_page_says_why_a_share_is_refused(site: Site) -> None:
    email = "chloe@chorus.test"
    async with chromium() as browser, browsing(browser, site.url, device=PHONE) as context:
        await stub_networks(context)
        page = await sign_in(context, email)
        await accept_policy(page)
        card, post_id = await unshared_card(page, site, email)
        # A blocked word: named next to the caption, and the link does not go anywhere.
        await card.locator("summary").click()
        await card.locator("textarea[name=caption]").fill("Our Confidential roadmap")
        error = card.locator("[data-caption-error]")
        await expect(error).to_have_text(
            f"Your caption contains the blocked word “{BLOCKED}”. Please reword it.")
        pages_before = len(context.pages)
        await card.locator("a[data-intent='x']").click()
        await asyncio.sleep(0.5)
        assert len(context.pages) == pages_before
        assert shares_of(site, email, post_id) == {}
        await card.locator("textarea[name=caption]").fill("Our public roadmap")
        await expect(error).to_be_empty()

        # The daily cap: one share left today, used, and the page says so before the tap.
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        [(count,)] = query(site, "SELECT count(*) FROM shares WHERE user_id = ? AND "
                           "created_at >= ?", user_id(site, email), today)
        set_sharing(site, daily_share_cap=count + 1)
        try:
            await page.reload()
            tab = await follow(page, first_card(page).locator("a[data-intent='whatsapp']"))
            assert tab.url.startswith("https://wa.me/?text=")
            await tab.close()
            await visit(page, "/app")
            banner = page.locator(".alert", has_text="today's limit")
            await expect(banner.first).to_contain_text(
                f"You've reached today's limit of {count + 1} share")
            assert await page.locator("a[data-intent]").count() == 0
        finally:
            set_sharing(site, daily_share_cap=100)


async def test_the_app_installs_and_its_static_files_come_from_the_service_worker(
        site: Site, tmp_path: Path) -> None:
    # A persistent profile: Chromium never offers to install from an incognito context,
    # which is what browser.new_context() makes.
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS,
            base_url=site.url, **PHONE)
        try:
            context.set_default_timeout(WAIT_MS)
            await context.add_init_script(CSP_LISTENER)
            page = await sign_in(context, "dario@chorus.test")
            cdp = await context.new_cdp_session(page)
            installability = await cdp.send("Page.getInstallabilityErrors")
            assert installability["installabilityErrors"] == []
            await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            await page.wait_for_function("navigator.serviceWorker.controller !== null")
            static: list[Any] = []
            page.on("response", lambda r: static.append(r) if "/static/" in r.url else None)
            await page.reload()
            await page.wait_for_load_state("networkidle")
            assert {r.url.rsplit("/", 1)[-1] for r in static} >= {
                "app.css", "app-pages.css", "htmx.esm.min.js", "csrf.js", "app-share.js"}
            assert [r.url for r in static if not r.from_service_worker] == []
            assert await csp_violations(page) == []
            # Offline, the shell still comes from the worker's cache; pages do not.
            await context.set_offline(True)
            await page.goto("/app")
            await expect(page.locator("h1")).to_have_text("You are offline")
            await context.set_offline(False)
        finally:
            await context.close()


PAGES = {
    "feed": "/app", "post": None, "me": "/app/me", "leaderboard": "/app/leaderboard",
    "more": "/app/more", "suggest": "/app/suggest", "feedback": "/app/feedback",
    "goals": "/app/goals", "settings": "/app/settings",
}


async def settle(page: Page) -> None:
    """Finish the transitions a new colour scheme starts, then scroll to the end of the page.

    Buttons fade their background from one scheme's colour to the other's, and headless
    Chromium may not advance them at all: axe would read the old background under the new
    text colour. At the end of the page the sticky navigation sits below the content and
    covers none of it (above, it covers whatever scrolls under it, which axe would count as
    too small a target)."""
    await page.evaluate("""() => {
        document.getAnimations().forEach(animation => animation.finish());
        window.scrollTo(0, document.documentElement.scrollHeight);
    }""")


async def screenshot(page: Page, path: Path) -> None:
    """The whole page, through a viewport as tall as it: a full-page capture would leave the
    sticky header and navigation where the first screen had them, over the content."""
    viewport = page.viewport_size
    assert viewport is not None
    height = await page.evaluate("document.documentElement.scrollHeight")
    await page.set_viewport_size({"width": viewport["width"], "height": height})
    await page.screenshot(path=path, scale="css")
    await page.set_viewport_size(viewport)


async def _scan(context: BrowserContext, lang: str, artefacts: Path,
                after_sign_in: Callable[[Page], Awaitable[None]]) -> list[str]:
    """Every page in one language, light then dark (the same load, the scheme emulated)."""
    problems: list[str] = []
    page = await sign_in(context, "ana@chorus.test")
    await after_sign_in(page)
    first_post = await page.locator("article[data-share-card] .card__title a").first \
        .get_attribute("href")
    for name, path in PAGES.items():
        path = path or first_post
        assert path
        await visit(page, path)
        assert await page.get_attribute("html", "lang") == lang, path
        for scheme in SCHEMES:
            await page.emulate_media(color_scheme=scheme)
            await settle(page)
            problems += [f"{name} {lang} {scheme}: {v}" for v in await axe_violations(page)]
            await screenshot(page, artefacts / f"app-{name}-phone-{scheme}-{lang}.png")
        await page.emulate_media(color_scheme="light")
        assert await csp_violations(page) == [], path
    return problems


async def test_every_app_page_passes_axe_in_both_languages_and_schemes(
        site: Site, artefacts: Path) -> None:
    async def accept_if_asked(page: Page) -> None:
        if await page.locator("#policy").count():
            await accept_policy(page)

    async def scan(lang: str, locale: str) -> list[str]:
        async with browsing(browser, site.url, device=PHONE, locale=locale) as context:
            return await _scan(context, lang, artefacts, accept_if_asked)

    async with chromium() as browser:
        found = await asyncio.gather(*(scan(lang, locale) for lang, locale in LANGUAGES.items()))
    problems = [problem for part in found for problem in part]
    assert problems == [], "\n".join(problems)
