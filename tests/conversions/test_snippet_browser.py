"""``/t.js`` end to end in a real browser: Debian's Chromium driven by Playwright.

``chorus serve`` runs as a subprocess on 127.0.0.1; the company's landing page is served
from another origin (``http://localhost:<port>``, registered for the site key) and, for the
refusal, from ``http://127.0.0.1:<port>`` (the same page on an origin the key does not know).
The browser follows a tracked link, lands with the click id, keeps it in localStorage and
reports a conversion through the snippet; the database says what was stored.

The browser is the system's (``/usr/bin/chromium``, installed by ``.ci/services.sh``), never
one downloaded by ``playwright install``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Response
from sqlalchemy import func, select

from app.content import publisher
from app.conversions import service as conversions_service
from app.core.db import Database
from app.models import Click, Conversion, Post, Share
from app.models.enums import Network, PostStatus
from app.sharing import service as sharing_service
from tests.browser.support import (
    USER_AGENT,
    WAIT_MS,
    chorus_server,
    chromium,
    free_port,
)
from tests.builders import make_post, make_user
from tests.tracking.projection_support import settled

pytestmark = pytest.mark.timeout_sensitive

CLICK_PARAM = "chorus_cid"
_free_port = free_port


def _landing_html(chorus_url: str, site_key: str) -> bytes:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Landing</title>"
        f"<script src='{chorus_url}/t.js' data-site-key='{site_key}'></script>"
        "</head><body><h1>Thanks for visiting</h1></body></html>"
    ).encode()


@contextmanager
def landing_server(port: int, html: bytes) -> Iterator[None]:
    """The company's site: one page at /landing, on every host name of 127.0.0.1:port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            if urlsplit(self.path).path != "/landing":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def _seed(db: Database, landing_url: str, origin: str) -> dict[str, str]:
    """An advocate, a published post pointing at the landing page, their share and a key."""
    async with db.transaction() as session:
        user = await make_user(session, name="Ada Advocate")
        post = await make_post(session, url=landing_url)
        published = await publisher.run(session)
        assert [p.id for p in published] == [post.id]
        site_key = await conversions_service.create_site_key(
            session, name="Landing site", origins=[origin])
    async with db.transaction() as session:
        post_row = await session.get(Post, post.id)
        assert post_row is not None and post_row.status == PostStatus.published
        share, _, created = await sharing_service.get_or_create(
            session, user=user, post_id=post.id, network=Network.linkedin)
        assert created
    return {"user_id": user.id, "post_id": post.id, "share_id": share.id, "code": share.code,
            "site_key": site_key.key, "site_key_id": site_key.id}


async def _conversions(db: Database) -> list[Conversion]:
    async with db.transaction() as session:
        return list(await session.scalars(select(Conversion)))


REPORT_JS = """async (externalId) => {
  try {
    return {ok: true, data: await window.chorus.conversion({
      type: "signup", external_id: externalId, value: "10.00", currency: "EUR"})};
  } catch (error) {
    return {ok: false, error: String(error && error.message || error)};
  }
}"""


async def _report(page: Page, external_id: str) -> tuple[Any, Response]:
    """Call ``chorus.conversion`` in the page; its result and the server's response."""
    async with page.expect_response(lambda r: r.url.endswith("/t/conversions"),
                                    timeout=WAIT_MS) as answer:
        result = await page.evaluate(REPORT_JS, external_id)
    return result, await answer.value


async def test_snippet_keeps_the_click_and_reports_an_attributed_conversion(
        db_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    chorus_port, site_port = _free_port(), _free_port()
    chorus_url = f"http://127.0.0.1:{chorus_port}"
    site = f"http://localhost:{site_port}"  # registered for the key
    stranger = f"http://127.0.0.1:{site_port}"  # the same page, an origin the key does not know
    db = Database(db_url)
    try:
        seeded = await _seed(db, f"{site}/landing?lang=en", site)
        html = _landing_html(chorus_url, seeded["site_key"])
        with landing_server(site_port, html):
            async with chorus_server(db_url, chorus_port, tmp_path,
                                     {"CHORUS_CLICK_PARAM": CLICK_PARAM}) as url, \
                    chromium() as browser:
                assert url == chorus_url
                context = await browser.new_context(user_agent=USER_AGENT)
                try:
                    context.set_default_timeout(WAIT_MS)
                    context.set_default_navigation_timeout(WAIT_MS)
                    await _run_in_browser(context, db, seeded, url, site, stranger)
                finally:
                    await context.close()
    finally:
        await db.dispose()
    assert time.monotonic() - started < 60


async def _run_in_browser(context: BrowserContext, db: Database, seeded: dict[str, str],
                          chorus_url: str, site: str, stranger: str) -> None:
    page = await context.new_page()
    set_cookies: list[str] = []
    loaded: list[str] = []

    async def watch(response: Response) -> None:
        loaded.append(response.url)
        cookie = await response.header_value("set-cookie")
        if cookie:
            set_cookies.append(f"{response.url}: {cookie}")

    page.on("response", watch)

    # (1) The tracked link redirects to the landing page with the click id.
    landed = await page.goto(f"{chorus_url}/s/{seeded['code']}")
    assert landed is not None and landed.ok
    redirect = landed.request.redirected_from
    first_hop = await redirect.response() if redirect is not None else None
    assert first_hop is not None and first_hop.status == 302
    assert first_hop.url == f"{chorus_url}/s/{seeded['code']}"
    location = urlsplit(page.url)
    assert f"{location.scheme}://{location.netloc}" == site and location.path == "/landing"
    query = parse_qs(location.query)
    assert query["lang"] == ["en"] and query["utm_content"] == [seeded["code"]]
    click_id = query[CLICK_PARAM][0]
    await settled(db.url)  # the server decides the click's flags right after its 302
    async with db.transaction() as session:
        click = await session.scalar(select(Click).where(Click.click_id == click_id))
        assert click is not None and click.share_id == seeded["share_id"]
        assert not click.bot and not click.is_self

    # (2) The snippet reads the click id and keeps it in the site's localStorage.
    await page.wait_for_function("() => window.chorus !== undefined", timeout=WAIT_MS)
    assert await page.evaluate("() => window.chorus.clickId()") == click_id
    kept = await page.evaluate("() => JSON.parse(localStorage.getItem('chorus_click')).id")
    assert kept == click_id
    await page.goto(f"{site}/landing")  # back later, without the parameter
    await page.wait_for_function("() => window.chorus !== undefined", timeout=WAIT_MS)
    assert CLICK_PARAM not in page.url
    assert await page.evaluate("() => window.chorus.clickId()") == click_id
    assert await page.evaluate("() => document.cookie") == ""

    # (3) A conversion reported from the page is attributed to the share and its advocate.
    result, response = await _report(page, "e2e-1")
    assert response.status == 201, result
    assert result["ok"], result
    conversion = result["data"]
    assert conversion["click_id"] == click_id and conversion["attributed"] is True
    assert conversion["share_id"] == seeded["share_id"]
    assert conversion["advocate_id"] == seeded["user_id"]
    assert conversion["post_id"] == seeded["post_id"]
    assert conversion["external_id"] == "e2e-1" and conversion["type"] == "signup"
    assert conversion["value"] == "10.00" and conversion["currency"] == "EUR"
    assert response.headers.get("access-control-allow-origin") == site
    assert "access-control-allow-credentials" not in response.headers

    # (4) One row, from the site; the same external_id again is the same record (200).
    rows = await _conversions(db)
    assert len(rows) == 1
    row = rows[0]
    assert row.id == conversion["id"] and row.attributed and row.source == "site"
    assert row.share_id == seeded["share_id"] and row.advocate_id == seeded["user_id"]
    assert row.site_key_id == seeded["site_key_id"]
    again, replay = await _report(page, "e2e-1")
    assert replay.status == 200, again
    assert again["ok"] and again["data"] == conversion
    assert len(await _conversions(db)) == 1

    # (5) The same page on an origin the key does not know: refused, nothing stored. The
    # answer carries no CORS headers, so Playwright sees only a failed request: DevTools
    # events say what the server answered.
    refused_page = await context.new_page()
    refused_page.on("response", watch)
    devtools = await context.new_cdp_session(refused_page)
    seen: dict[str, dict[str, Any]] = {}

    def note(kind: str) -> Callable[[dict[str, Any]], None]:
        def handler(event: dict[str, Any]) -> None:
            seen.setdefault(event["requestId"], {})[kind] = event
        return handler

    for kind in ("requestWillBeSent", "requestWillBeSentExtraInfo",
                 "responseReceivedExtraInfo", "loadingFailed"):
        devtools.on(f"Network.{kind}", note(kind))
    await devtools.send("Network.enable")
    await refused_page.goto(f"{stranger}/landing?{CLICK_PARAM}={click_id}")
    await refused_page.wait_for_function("() => window.chorus !== undefined", timeout=WAIT_MS)
    assert await refused_page.evaluate("() => window.chorus.clickId()") == click_id
    refused = await refused_page.evaluate(REPORT_JS, "e2e-2")
    assert refused["ok"] is False and "fetch" in refused["error"], refused
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        posts = [e for e in seen.values() if "requestWillBeSent" in e
                 and e["requestWillBeSent"]["request"]["url"] == f"{chorus_url}/t/conversions"]
        if posts and all({"requestWillBeSentExtraInfo", "responseReceivedExtraInfo",
                          "loadingFailed"} <= e.keys() for e in posts):
            break
        assert time.monotonic() < deadline, f"no DevTools record of the refused POST: {seen}"
        await asyncio.sleep(0.05)
    await devtools.detach()
    assert len(posts) == 1
    answer = posts[0]["responseReceivedExtraInfo"]
    sent = {k.lower(): v for k, v in posts[0]["requestWillBeSentExtraInfo"]["headers"].items()}
    assert sent.get("origin") == stranger and "cookie" not in sent
    assert answer["statusCode"] == 403
    answered = {k.lower(): v for k, v in answer["headers"].items()}
    assert "access-control-allow-origin" not in answered and "set-cookie" not in answered
    assert posts[0]["loadingFailed"]["corsErrorStatus"]["corsError"] == "MissingAllowOriginHeader"
    direct = httpx.post(f"{chorus_url}/t/conversions", timeout=5, headers={
        "Origin": stranger, "Content-Type": "text/plain"},
        content=json.dumps({"site_key": seeded["site_key"], "click_id": click_id,
                            "type": "signup", "external_id": "e2e-3"}))
    assert direct.status_code == 403
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Conversion)) == 1
        assert await session.scalar(select(func.count()).select_from(Share)) == 1

    # (6) No cookie anywhere: none set by t.js, /s/ or /t/conversions.
    assert any(seen_url.endswith("/t.js") for seen_url in loaded), loaded
    assert set_cookies == []
    assert await context.cookies(site) == []
    assert await context.cookies() == []
