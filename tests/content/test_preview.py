"""``fetch_preview`` (CONTRACT §3, §9): a post's empty title, summary and image filled from
its page, through the SSRF-safe fetcher, by both job runners.

Pages are mocked with respx at the address the test's DNS table gives their host.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from app.content import preview
from app.core.db import Database
from app.jobs.queue import NoJobs
from app.models import Post
from tests.builders import Api, Role
from tests.dns import fake_dns
from tests.jobs.runners import JobRunner

PUBLIC = "93.184.216.34"
PAGE = "https://news.example.com/launch"
MOCKED = f"https://{PUBLIC}/launch"

ARTICLE = b"""<!doctype html><html><head>
<title>  The page's own title  </title>
<meta property="og:title" content="Kestrel ships the &amp; release">
<meta property="og:description" content="What changed,
   and why it matters.">
<meta property="og:image" content="/img/launch.png">
<meta name="twitter:title" content="Not this one">
</head><body><h1>Hello</h1></body></html>"""


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    return fake_dns(monkeypatch, {"news.example.com": [PUBLIC], "blog.example.com": [PUBLIC],
             "intranet.example.com": ["10.1.2.3"], "metadata.example.com": ["169.254.169.254"]})


async def create(api: Api, url: str = PAGE, **fields: Any) -> str:
    marketer = await api.headers(Role.marketer)
    response = await api.client.post("/api/v1/posts", headers=marketer, json={
        "url": url, "category": "curated", "topic_ids": [], "captions": {"default": "Read"},
        **fields})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def stored(db: Database, post_id: str) -> Post:
    async with db.transaction() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        return post


def html(body: bytes, content_type: str = "text/html; charset=utf-8") -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": content_type})


async def test_open_graph_fills_what_the_marketer_left_empty(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    page = respx_mock.get(MOCKED).mock(return_value=html(ARTICLE))
    post_id = await create(api, title="Our own title")
    await job_runner.settle()

    post = await stored(api.db, post_id)
    assert (post.title, post.summary, post.image_url) == (
        "Our own title", "What changed, and why it matters.",
        "https://news.example.com/img/launch.png")
    assert (post.preview_state, post.preview_error, post.preview_fields) == (
        "done", None, ["image_url", "summary"])
    assert page.call_count == 1
    sent = page.calls.last.request
    assert sent.headers["host"] == "news.example.com"
    assert "text/html" in sent.headers["accept"]


async def test_a_complete_post_asks_for_no_preview(api: Api) -> None:
    jobs = api.db.jobs
    assert isinstance(jobs, NoJobs)
    post_id = await create(api, title="T", summary="S",
                           image_url="https://news.example.com/i.png")

    assert (await stored(api.db, post_id)).preview_state is None
    assert ("fetch_preview", (post_id,)) not in jobs.sent


async def test_the_preview_is_asked_for_only_once_the_post_is_committed(api: Api) -> None:
    jobs = api.db.jobs
    assert isinstance(jobs, NoJobs)
    marketer = await api.headers(Role.marketer)
    refused = await api.client.post("/api/v1/posts", headers=marketer, json={
        "url": PAGE, "category": "curated", "topic_ids": ["no-such-topic"],
        "captions": {"default": "Read"}})
    assert refused.status_code == 422 and jobs.sent == []

    post_id = await create(api)
    assert jobs.sent == [("fetch_preview", (post_id,))]


async def test_a_suggestion_gets_a_preview_too(api: Api, job_runner: JobRunner,
                                               respx_mock: respx.MockRouter) -> None:
    respx_mock.get(MOCKED).mock(return_value=html(ARTICLE))
    advocate = await api.headers()
    response = await api.client.post("/api/v1/suggestions", headers=advocate,
                                     json={"url": PAGE, "topic_ids": []})
    assert response.status_code == 201, response.text
    await job_runner.settle()

    post = await stored(api.db, response.json()["id"])
    assert post.title == "Kestrel ships the & release"


async def test_a_new_url_replaces_what_the_old_pages_preview_filled(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(MOCKED).mock(return_value=html(ARTICLE))
    respx_mock.get(f"https://{PUBLIC}/second").mock(return_value=html(
        b'<title>Second</title><meta name="description" content="Second summary">'))
    post_id = await create(api)
    await job_runner.settle()

    marketer = await api.headers(Role.marketer)
    response = await api.client.patch(f"/api/v1/posts/{post_id}", headers=marketer, json={
        "url": "https://blog.example.com/second", "summary": "Written by hand"})
    assert response.status_code == 200, response.text
    await job_runner.settle()

    post = await stored(api.db, post_id)
    # The title came from the old page: replaced. The summary was typed: kept. The second
    # page has no image: the old page's image goes.
    assert (post.title, post.summary, post.image_url) == ("Second", "Written by hand", None)
    assert post.preview_fields == ["title"]


async def test_a_link_to_an_image_becomes_the_posts_image(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"https://{PUBLIC}/chart.png").mock(
        return_value=html(b"\x89PNG\r\n\x1a\n", "image/png"))
    post_id = await create(api, url="https://news.example.com/chart.png", title="Chart")
    await job_runner.settle()

    post = await stored(api.db, post_id)
    assert (post.image_url, post.summary, post.preview_state) == (
        "https://news.example.com/chart.png", None, "done")


@pytest.mark.parametrize(("response", "error"), [
    (httpx.Response(404, text="<title>Not found</title>",
                    headers={"Content-Type": "text/html"}), "the page answered HTTP 404"),
    (httpx.Response(200, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}),
     "not an HTML page (application/pdf)"),
    (httpx.Response(200, content=b"<title>x</title>"), "not an HTML page (no content type)"),
])
async def test_an_answer_without_a_page_fills_nothing(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        response: httpx.Response, error: str) -> None:
    respx_mock.get(MOCKED).mock(return_value=response)
    post_id = await create(api)
    await job_runner.settle()

    post = await stored(api.db, post_id)
    assert (post.title, post.summary, post.image_url) == (None, None, None)
    assert (post.preview_state, post.preview_error) == ("failed", error)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/admin", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "https://intranet.example.com/wiki",
    "https://metadata.example.com/",
])
async def test_private_addresses_are_never_fetched(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter, url: str) -> None:
    post_id = await create(api, url=url)
    await job_runner.settle()

    post = await stored(api.db, post_id)
    assert post.preview_state == "failed"
    assert post.preview_error is not None and "not public" in post.preview_error
    assert respx_mock.calls.call_count == 0


async def test_a_public_page_redirecting_to_a_private_address_is_not_followed(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(MOCKED).mock(return_value=httpx.Response(
        302, headers={"Location": "http://10.0.0.1/secret"}))
    post_id = await create(api)
    await job_runner.settle()

    post = await stored(api.db, post_id)
    assert post.preview_state == "failed" and "not public" in (post.preview_error or "")
    assert respx_mock.calls.call_count == 1


class Endless(httpx.AsyncByteStream):
    """A body of ``total`` bytes, counting what was read of it."""

    def __init__(self, head: bytes, total: int) -> None:
        self.head, self.total, self.sent = head, total, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = self.head
        while self.sent < self.total:
            self.sent += len(chunk)
            yield chunk
            chunk = b" " * 65_536


async def test_a_50_mb_page_is_cut_off_after_2_mb(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    body = Endless(ARTICLE, 50_000_000)
    respx_mock.get(MOCKED).mock(return_value=httpx.Response(
        200, stream=body, headers={"Content-Type": "text/html"}))
    post_id = await create(api)
    await job_runner.settle()

    post = await stored(api.db, post_id)
    assert post.title == "Kestrel ships the & release"
    assert body.sent < preview.MAX_BYTES + 2 * 65_536


async def test_a_slow_server_is_given_up_on(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preview, "TIMEOUT", 0.2)
    monkeypatch.setattr(preview, "RETRY_SECONDS", 0.0)

    asked: list[httpx.Request] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        await asyncio.sleep(5)
        return html(ARTICLE)

    respx_mock.get(MOCKED).mock(side_effect=slow)
    post_id = await create(api)
    await job_runner.settle()

    post = await stored(api.db, post_id)
    assert post.preview_state == "failed" and "within 0.2 s" in (post.preview_error or "")
    assert len(asked) == preview.RETRIES


async def test_the_sweep_finds_previews_whose_job_was_lost(
        api: Api, db: Database, settings: Any, respx_mock: respx.MockRouter,
        redis_pool: Any) -> None:
    respx_mock.get(MOCKED).mock(return_value=html(ARTICLE))
    post_id = await create(api)  # nothing runs jobs: as if the process died after the commit
    runner = JobRunner("arq", db, settings, redis_pool)
    runner.install()
    await runner.run("fetch_missing_previews")

    assert (await stored(db, post_id)).summary == "What changed, and why it matters."


async def test_a_second_run_changes_nothing(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    page = respx_mock.get(MOCKED).mock(return_value=html(ARTICLE))
    post_id = await create(api)
    await job_runner.settle()
    await job_runner.run("fetch_preview", post_id)

    assert page.call_count == 1


def test_twitter_card_and_title_are_the_fallbacks() -> None:
    found = preview.parse(
        '<title>Page title</title><meta name="twitter:description" content="Card text">'
        '<meta name="twitter:image:src" content="https://cdn.example.com/c.jpg">',
        "https://example.com/a")
    assert found == preview.Preview("Page title", "Card text", "https://cdn.example.com/c.jpg")


def test_only_http_images_are_kept_and_long_text_is_shortened() -> None:
    found = preview.parse(
        f'<meta property="og:image" content="javascript:alert(1)">'
        f'<meta name="description" content="{"word " * 1000}">', "https://example.com/a")
    assert found.image_url is None and found.title is None
    assert found.summary is not None and len(found.summary) == 2_000
    assert found.summary.endswith("…")


def test_the_pages_own_charset_is_honoured() -> None:
    thai = "ข่าวใหม่".encode("tis-620")
    page = b'<html><head><meta charset="tis-620"><title>' + thai + b"</title></head></html>"
    assert preview.parse(preview.decode(page, "text/html"), "https://e.th/").title == "ข่าวใหม่"
    assert preview.decode("é".encode("latin-1"), "text/html; charset=ISO-8859-1") == "é"
