"""/console in Debian's Chromium at a desktop viewport, against the demo program: a marketer
queues a post the 6-3-1 mix holds back and sees why (checked against the API), reviews
suggestions in place, and every console page passes axe in English and Thai, light and dark,
with a screenshot of each (and one of the queue on a phone)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

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

MARKETER = "marketer@chorus.test"
SCHEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
LANGUAGES = {"en": "en-GB", "th": "th-TH"}


@contextmanager
def api(site: Site) -> Iterator[httpx.Client]:
    """The marketer at the JSON API: an independent read of what the pages show."""
    with api_as(site, MARKETER) as client:
        yield client


def queue_items(client: httpx.Client, topic_id: str | None = None) -> list[dict[str, Any]]:
    params: dict[str, str | int] = {"limit": 200}
    if topic_id:
        params["topic_id"] = topic_id
    page = client.get("/queue", params=params).json()
    items: list[dict[str, Any]] = page["items"]
    return items


async def sign_in(context: BrowserContext) -> Page:
    return await sign_in_as(context, MARKETER, start="/login?next=/console",
                            landing=r"/console$")


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def _scan(browser: Browser, site: Site, artefacts: Path, lang: str,
                pages: dict[str, str]) -> list[str]:
    """Every page in one language, light then dark (the scheme emulated, without motion so
    that no colour transition is caught half-way by axe)."""
    problems: list[str] = []
    async with browsing(browser, site.url, device=DESKTOP, locale=LANGUAGES[lang],
                        reduced_motion="reduce") as context:
        page = await sign_in(context)
        for name, path in pages.items():
            await visit(page, path)
            assert await page.get_attribute("html", "lang") == lang
            for scheme in SCHEMES:
                if scheme != "light":  # axe keeps what it measured on the page's nodes
                    await page.emulate_media(color_scheme=scheme)
                    await page.reload()
                problems += [f"{name} {lang} {scheme}: {v}" for v in await axe_violations(page)]
                assert await csp_violations(page) == [], f"{path} {scheme}"
                await page.screenshot(
                    path=artefacts / f"console-{name}-desktop-{scheme}-{lang}.png",
                    full_page=True)
            await page.emulate_media(color_scheme="light")
    return problems


async def test_console_pages_pass_axe_in_both_languages_and_schemes(
        site: Site, artefacts: Path) -> None:
    with api(site) as client:
        queued = client.get("/posts", params={"status": "queued", "limit": 1}).json()["items"]
        published = client.get("/posts", params={"status": "published", "limit": 1}).json()
        # A feed on a public literal address (no DNS here): its read fails, so the page
        # shows a feed with its error too.
        feed = client.post("/feeds", json={"url": "https://93.184.216.34/newsroom.xml"})
        assert feed.status_code in (201, 409), feed.text
    pages = {
        "queue": "/console",
        "posts": "/console/posts",
        "new-post": "/console/posts/new",
        "edit-post": f"/console/posts/{queued[0]['id']}/edit",
        "archive": f"/console/posts/{published['items'][0]['id']}/archive",
        "suggestions": "/console/suggestions",
        "feeds": "/console/feeds",
    }
    async with chromium() as browser:
        found = await asyncio.gather(*(_scan(browser, site, artefacts, lang, pages)
                                       for lang in LANGUAGES))
        async with browsing(browser, site.url, device=PHONE, locale="en-GB") as context:
            page = await sign_in(context)
            await visit(page, "/console")
            phone = [f"queue phone: {v}" for v in await axe_violations(page)]
            await page.screenshot(path=artefacts / "console-queue-phone-light-en.png",
                                  full_page=True)
    assert [p for problems in found for p in problems] + phone == []


def _held_topic(client: httpx.Client) -> dict[str, Any]:
    """A topic whose last ten already hold a promotional post, preferably one where the mix
    holds nothing yet (so the new post is the only held one there)."""
    topics = client.get("/topics", params={"limit": 200}).json()["items"]
    full = [t for t in topics
            if client.get("/mix", params={"topic_id": t["id"]}).json()["last"]["promotional"]]
    assert full, "the demo has no topic whose last ten posts hold a promotional post"
    calm = [t for t in full
            if not any(i["blocked_by"] == "mix" for i in queue_items(client, t["id"]))]
    return (calm or full)[0]


async def test_a_marketer_queues_a_post_the_mix_holds_back_and_sees_why(site: Site) -> None:
    with api(site) as client:
        topic = _held_topic(client)
    title = "Spring bundle: two seats for the price of one"
    async with chromium() as browser, browsing(browser, site.url, device=DESKTOP) as context:
        page = await sign_in(context)
        await visit(page, "/console/posts/new")
        await page.fill("#post-url", "https://kestrel.example/offers/spring-bundle")
        await page.fill("#post-title", title)
        await page.fill("#post-caption-default", "Two seats, one price, until May.")
        await page.fill("#post-caption-x", "Two seats, one price.")
        await expect(page.locator("[data-counter-for='post-caption-x']")).to_have_text("21/280")
        await page.get_by_label(topic["name"], exact=True).check()
        await page.locator("#post-category-promotional").check()
        await page.get_by_role("button", name="Queue post").click()
        await page.wait_for_url(re.compile(r"/console\?saved="))
        assert await csp_violations(page) == []
        post_id = re.search(r"saved=([^#&]+)", page.url).group(1)  # type: ignore[union-attr]

        note = text_of(await page.locator("#saved-note").inner_html())
        shown = re.search(r"Held by the 6-3-1 rule: (\d+) more curated posts? in ([^.]+) "
                          r"would release it\.", note)
        assert shown, note
        assert topic["name"] in shown.group(2)
        assert "already include a promotional post" in note
        row = page.locator(f"#entry-{post_id}")
        await expect(row).to_contain_text("Held by the 6-3-1 rule")

        with api(site) as client:
            entry = next(i for i in queue_items(client) if i["post"]["id"] == post_id)
            needs = client.get("/mix", params={"topic_id": topic["id"]}).json()["needs"]
            held_here = [i for i in queue_items(client, topic["id"])
                         if i["blocked_by"] == "mix"]
        assert entry["blocked_by"] == "mix"
        assert needs["curated"] > 0
        if [i["post"]["id"] for i in held_here] == [post_id]:
            assert int(shown.group(1)) == needs["curated"]
        else:  # /mix gives the fewest over the topic's held posts
            assert int(shown.group(1)) >= needs["curated"]

        # The topic switch swaps the queue and its mix in place (htmx) and keeps the address.
        await page.locator(".topic-switch").get_by_role("link", name=topic["name"],
                                                        exact=True).click()
        await page.wait_for_url(re.compile(r"/console\?topic="))
        topic_mix = page.locator("#mix-topic")
        await expect(topic_mix).to_contain_text(
            f"{needs['curated']} curated post" + ("s" if needs["curated"] > 1 else "")
            + " would release a held post.")
        await expect(page.locator(f"#entry-{post_id}")).to_contain_text("Held by the mix")
        assert await page.locator("#saved-note").count() == 1  # outside the swapped panel
        assert await csp_violations(page) == []


async def test_a_marketer_approves_and_rejects_suggestions_in_place(site: Site) -> None:
    with api(site) as client:
        waiting = [i["post"] for i in queue_items(client) if i["blocked_by"] == "review"]
    assert len(waiting) >= 2, "the demo has fewer than two suggestions waiting"
    approve, reject = waiting[0], waiting[1]
    async with chromium() as browser, browsing(browser, site.url, device=DESKTOP) as context:
        page = await sign_in(context)
        await visit(page, "/console/suggestions")

        card = page.locator(f"#suggestion-{approve['id']}")
        await card.locator(f"#s-{approve['id']}-category-owned").check()
        await card.get_by_label("Caption").fill("A good read for the team.")
        await card.get_by_role("button", name=re.compile("^Approve")).click()
        swapped = page.locator(f"#suggestion-{approve['id']}")
        await expect(swapped).to_contain_text("it is in the queue")
        await expect(swapped.get_by_role("status")).to_be_focused()
        assert page.url.endswith("/console/suggestions")  # swapped, not reloaded

        card = page.locator(f"#suggestion-{reject['id']}")
        await card.get_by_label("Reason to reject").fill("Behind a paywall for most readers.")
        await card.get_by_role("button", name=re.compile("^Reject")).click()
        await expect(page.locator(f"#suggestion-{reject['id']}")).to_contain_text(
            "Reason given: Behind a paywall for most readers.")
        assert await csp_violations(page) == []

    with api(site) as client:
        approved = client.get(f"/posts/{approve['id']}").json()
        rejected = client.get(f"/posts/{reject['id']}").json()
    assert approved["status"] == "queued" and approved["category"] == "owned"
    assert approved["captions"]["default"] == "A good read for the team."
    assert rejected["status"] == "rejected"
    assert rejected["review_note"] == "Behind a paywall for most readers."
