"""``import_feeds`` (CONTRACT §9), through both runners: a feed's new entries become queued
posts of its category and topics, each entry once; a broken, huge, slow or redirecting feed
is skipped with ``last_error`` while the others are read; a new feed is read once its
registration commits, or by the minute's sweep when that request was lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database
from app.feeds import importer
from app.feeds import jobs as feed_jobs
from app.feeds.service import url_key
from app.jobs.spec import JobContext
from app.models import JobRun, Post, PostTopic
from app.models.enums import Category, PostStatus
from app.models.feeds import Feed, FeedEntry, FeedTopic
from tests.builders import Api, Role, make_post, make_topic
from tests.feeds.conftest import ATOM, BLOG, BROKEN, NEWS, RSS, fixture
from tests.jobs.runners import JobRunner

BLOG_FEED = "https://blog.example.com/feed.xml"
NEWS_FEED = "https://news.example.org/atom.xml"
BROKEN_FEED = "https://broken.example.com/rss"


@dataclass(frozen=True)
class Queued:
    url: str
    title: str | None
    summary: str | None
    image_url: str | None
    caption: str | None
    category: str | None
    status: str
    publish_at: datetime | None
    topic_ids: list[str]


async def _feed(db: Database, url: str, *, category: Category = Category.owned,
                topic_ids: tuple[str, ...] = (), last_fetched_at: datetime | None = None
                ) -> str:
    """A feed stored without asking for its first read (as if that request was lost)."""
    async with db.transaction() as session:
        feed = Feed(url=url, url_key=url_key(url), category=category,
                    last_fetched_at=last_fetched_at)
        session.add(feed)
        await session.flush()
        for topic_id in topic_ids:
            session.add(FeedTopic(feed_id=feed.id, topic_id=topic_id))
        return feed.id


async def _queued(db: Database) -> dict[str, Queued]:
    async with db.transaction() as session:
        posts = list(await session.scalars(select(Post)))
        topics = {p.id: sorted(await session.scalars(
            select(PostTopic.topic_id).where(PostTopic.post_id == p.id))) for p in posts}
    return {p.url: Queued(url=p.url, title=p.title, summary=p.summary, image_url=p.image_url,
                          caption=(p.captions or {}).get("default"), category=p.category,
                          status=p.status, publish_at=p.publish_at, topic_ids=topics[p.id])
            for p in posts}


async def _stored(db: Database, feed_id: str) -> Feed:
    async with db.transaction() as session:
        feed = await session.get(Feed, feed_id)
        assert feed is not None
        return feed


async def _runs(db: Database, name: str) -> list[JobRun]:
    async with db.transaction() as session:
        return list(await session.scalars(
            select(JobRun).where(JobRun.name == name).order_by(JobRun.id)))


def _serve(respx_mock: respx.MockRouter, address: str, path: str, body: bytes,
           headers: dict[str, str]) -> respx.Route:
    return respx_mock.get(f"https://{address}{path}").respond(200, content=body,
                                                              headers=headers)


async def test_a_new_feed_is_read_once_its_registration_commits(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    async with api.db.transaction() as session:
        topic = await make_topic(session, name="Engineering")
    feed_route = _serve(respx_mock, BLOG, "/feed.xml", fixture("blog.rss"), RSS)
    # The one entry without an image gets a link preview, as any new post does.
    article = respx_mock.get(f"https://{BLOG}/2026/11/open-source").respond(404)
    headers = await api.headers(Role.marketer)

    created = await api.client.post("/api/v1/feeds", headers=headers, json={
        "url": BLOG_FEED, "topic_ids": [topic.id]})
    assert created.status_code == 201
    await job_runner.settle()

    queued = await _queued(api.db)
    assert sorted(queued) == ["https://blog.example.com/2026/11/fridays",
                              "https://blog.example.com/2026/11/open-source",
                              "https://blog.example.com/2026/11/retros"]
    retros = queued["https://blog.example.com/2026/11/retros"]
    assert retros == Queued(
        url="https://blog.example.com/2026/11/retros", title="Why we run <short> retros",
        summary="Short retros, honest notes & one change a week. Read on.",
        image_url="https://blog.example.com/img/retros.jpg",
        caption="Why we run <short> retros", category="owned", status=PostStatus.queued,
        publish_at=None, topic_ids=[topic.id])
    fridays = queued["https://blog.example.com/2026/11/fridays"]
    assert fridays.image_url == "https://blog.example.com/img/fridays.png"
    assert feed_route.call_count == 1 and article.call_count == 1
    [preview] = await _runs(api.db, "fetch_preview")
    async with api.db.transaction() as session:
        open_source = await session.scalar(select(Post.id).where(
            Post.url == "https://blog.example.com/2026/11/open-source"))
    assert preview.args == [open_source]

    listed = (await api.client.get("/api/v1/feeds", headers=headers)).json()["items"]
    assert [(f["title"], f["entries_imported"], f["last_error"]) for f in listed] == [
        ("Acme Engineering Blog", 3, None)]
    assert listed[0]["last_fetched_at"] is not None


async def test_each_entry_is_imported_once_across_reads(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    feed_id = await _feed(api.db, BLOG_FEED, category=Category.curated)
    route = _serve(respx_mock, BLOG, "/feed.xml", fixture("blog.rss"), RSS)
    respx_mock.get(f"https://{BLOG}/2026/11/open-source").respond(404)

    await job_runner.run("import_feed", feed_id)
    await job_runner.run("import_feed", feed_id)
    assert len(await _queued(api.db)) == 3

    route.respond(200, content=fixture("blog-later.rss"), headers=RSS)
    await job_runner.run("import_feed", feed_id)

    queued = await _queued(api.db)
    assert len(queued) == 4
    hiring = queued["https://blog.example.com/2026/12/hiring"]
    assert (hiring.title, hiring.image_url, hiring.category) == (
        "Hiring: two platform engineers", "https://blog.example.com/img/hiring.jpg", "curated")
    # The same guid with a new title is the same entry: the post keeps what it had.
    assert queued["https://blog.example.com/2026/11/retros"].title == \
        "Why we run <short> retros"
    assert [r.result for r in await _runs(api.db, "import_feed")] == [
        {"imported": 3, "seen": 0, "new": 3, "already_posted": 0},
        {"imported": 0, "seen": 3, "new": 0, "already_posted": 0},
        {"imported": 1, "seen": 3, "new": 1, "already_posted": 0},
    ]


async def test_a_link_already_in_chorus_is_not_queued_again(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    async with api.db.transaction() as session:
        await make_post(session, url="https://news.example.org/press/2026/q3-results",
                        title="Q3, queued by hand")
    feed_id = await _feed(api.db, NEWS_FEED)
    _serve(respx_mock, NEWS, "/atom.xml", fixture("newsroom.atom"), ATOM)

    await job_runner.run("import_feed", feed_id)

    queued = await _queued(api.db)
    assert len(queued) == 2
    assert queued["https://news.example.org/press/2026/q3-results"].title == \
        "Q3, queued by hand"
    [run] = await _runs(api.db, "import_feed")
    assert run.result == {"imported": 1, "seen": 0, "new": 2, "already_posted": 1}


async def test_the_sweep_reads_an_atom_feed_that_was_never_read(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    async with api.db.transaction() as session:
        topic = await make_topic(session, name="News")
    feed_id = await _feed(api.db, NEWS_FEED, category=Category.promotional,
                          topic_ids=(topic.id,))
    _serve(respx_mock, NEWS, "/atom.xml", fixture("newsroom.atom"), ATOM)

    await job_runner.run("import_feeds")

    queued = await _queued(api.db)
    assert queued == {
        "https://news.example.org/press/2026/bangkok-office": Queued(
            url="https://news.example.org/press/2026/bangkok-office",
            title="Acme opens an office in Bangkok", summary="Forty new jobs in Sathorn.",
            image_url="https://news.example.org/media/bangkok.jpg",
            caption="Acme opens an office in Bangkok", category="promotional",
            status=PostStatus.queued, publish_at=None, topic_ids=[topic.id]),
        "https://news.example.org/press/2026/q3-results": Queued(
            url="https://news.example.org/press/2026/q3-results", title="Quarterly results",
            summary="Revenue grew 12 %.", image_url="https://news.example.org/media/q3.jpg",
            caption="Quarterly results", category="promotional", status=PostStatus.queued,
            publish_at=None, topic_ids=[topic.id]),
    }
    feed = await _stored(api.db, feed_id)
    assert feed.title == "Acme Newsroom" and feed.last_error is None
    [sweep] = await _runs(api.db, "import_feeds")
    assert sweep.result == {"enqueued": 1}


async def test_a_malformed_feed_is_skipped_and_the_others_are_read(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    broken_id = await _feed(api.db, BROKEN_FEED)
    news_id = await _feed(api.db, NEWS_FEED)
    _serve(respx_mock, BROKEN, "/rss", fixture("malformed.rss"), RSS)
    _serve(respx_mock, NEWS, "/atom.xml", fixture("newsroom.atom"), ATOM)

    await job_runner.run("import_feeds")

    assert sorted(await _queued(api.db)) == [
        "https://news.example.org/press/2026/bangkok-office",
        "https://news.example.org/press/2026/q3-results"]
    broken = await _stored(api.db, broken_id)
    assert broken.last_error is not None
    assert broken.last_error.startswith("not well-formed XML") and broken.last_fetched_at
    assert (await _stored(api.db, news_id)).last_error is None
    async with api.db.transaction() as session:
        assert list(await session.scalars(
            select(FeedEntry.key).where(FeedEntry.feed_id == broken_id))) == []


async def test_a_feed_that_answers_an_error_is_skipped(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    feed_id = await _feed(api.db, BLOG_FEED)
    respx_mock.get(f"https://{BLOG}/feed.xml").respond(503)

    await job_runner.run("import_feed", feed_id)

    assert (await _stored(api.db, feed_id)).last_error == "the feed answered HTTP 503"
    assert await _queued(api.db) == {}


@pytest.mark.parametrize("target", [
    "http://intranet.corp/feed.xml", "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:8000/api/v1/feeds", "http://[::ffff:127.0.0.1]/", "http://[::1]/"])
async def test_a_public_feed_redirecting_to_a_private_address_is_refused(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter, target: str) -> None:
    feed_id = await _feed(api.db, BLOG_FEED)
    respx_mock.get(f"https://{BLOG}/feed.xml").respond(302, headers={"Location": target})

    await job_runner.run("import_feed", feed_id)

    feed = await _stored(api.db, feed_id)
    assert feed.last_error is not None and "is not public" in feed.last_error
    assert respx_mock.calls.call_count == 1  # the private address was never asked
    assert await _queued(api.db) == {}


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/feed.xml", "http://10.0.0.1/rss", "http://169.254.169.254/latest/",
    "http://[::1]/feed", "http://[::ffff:127.0.0.1]/feed", "https://intranet.corp/feed.xml"])
async def test_a_feed_on_a_private_address_is_not_fetched(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter, url: str) -> None:
    """Registered while private addresses were allowed, read after they no longer are."""
    feed_id = await _feed(api.db, url)

    await job_runner.run("import_feed", feed_id)

    feed = await _stored(api.db, feed_id)
    assert feed.last_error is not None and "is not public" in feed.last_error
    assert not respx_mock.calls and await _queued(api.db) == {}


async def test_a_private_feed_is_read_when_the_settings_allow_it(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    job_runner.use(job_runner.settings.model_copy(update={"allow_private_webhooks": True}))
    feed_id = await _feed(api.db, "https://intranet.corp/feed.xml")
    _serve(respx_mock, "10.0.0.7", "/feed.xml", fixture("newsroom.atom"), ATOM)

    await job_runner.run("import_feed", feed_id)

    assert (await _stored(api.db, feed_id)).last_error is None
    assert len(await _queued(api.db)) == 2


class Endless(httpx.AsyncByteStream):
    """50 MB without a Content-Length, in 64 KiB chunks."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b"<item>" + b"x" * (65_536 - 6)
        while self.sent < 50_000_000:
            self.sent += len(chunk)
            yield chunk


async def test_a_huge_feed_is_cut_off_and_skipped(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    feed_id = await _feed(api.db, BLOG_FEED)
    body = Endless()
    respx_mock.get(f"https://{BLOG}/feed.xml").respond(200, stream=body, headers=RSS)

    await job_runner.run("import_feed", feed_id)

    assert (await _stored(api.db, feed_id)).last_error == \
        "the answer is larger than 5000000 bytes"
    assert body.sent < 6_000_000
    assert await _queued(api.db) == {}


async def test_a_slow_feed_is_cut_off_and_skipped(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "TIMEOUT", 0.3)
    feed_id = await _feed(api.db, BLOG_FEED)

    async def slow(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, content=fixture("blog.rss"), headers=RSS)

    respx_mock.get(f"https://{BLOG}/feed.xml").mock(side_effect=slow)

    await job_runner.run("import_feed", feed_id)

    assert (await _stored(api.db, feed_id)).last_error == "no complete answer within 0.3 s"
    assert await _queued(api.db) == {}


def _many(count: int, *, newest: datetime) -> bytes:
    """An RSS feed of ``count`` entries, one a day back from ``newest``, listed oldest first
    (order by date, not by position)."""
    items = []
    for n in range(count - 1, -1, -1):
        day = newest - timedelta(days=n)
        items.append(
            f"<item><title>Post {count - n}</title><guid>post-{count - n}</guid>"
            f"<link>https://blog.example.com/p/{count - n}</link>"
            f"<pubDate>{format_datetime(day, usegmt=True)}</pubDate>"
            f"<description>Summary {count - n}</description>"
            f'<enclosure url="https://blog.example.com/i/{count - n}.jpg" type="image/jpeg"/>'
            "</item>")
    return (f'<rss version="2.0"><channel><title>Archive</title>{"".join(items)}'
            "</channel></rss>").encode()


async def test_a_first_read_imports_only_the_newest_entries(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    newest = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    feed_id = await _feed(api.db, BLOG_FEED)
    route = _serve(respx_mock, BLOG, "/feed.xml", _many(30, newest=newest), RSS)

    await job_runner.run("import_feed", feed_id)

    titles = {q.title for q in (await _queued(api.db)).values()}
    assert titles == {f"Post {n}" for n in range(11, 31)}

    route.respond(200, content=_many(31, newest=newest + timedelta(days=1)), headers=RSS)
    await job_runner.run("import_feed", feed_id)

    titles = {q.title for q in (await _queued(api.db)).values()}
    assert titles == {f"Post {n}" for n in range(11, 32)}


async def test_a_feed_first_read_after_a_failure_is_still_capped(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    feed_id = await _feed(api.db, BLOG_FEED)
    route = respx_mock.get(f"https://{BLOG}/feed.xml").respond(500)
    await job_runner.run("import_feed", feed_id)

    route.respond(200, content=_many(25, newest=datetime(2026, 11, 30, tzinfo=UTC)),
                  headers=RSS)
    await job_runner.run("import_feed", feed_id)

    assert len(await _queued(api.db)) == importer.FIRST_READ_POSTS
    assert (await _stored(api.db, feed_id)).last_error is None


async def test_an_unchanged_feed_is_asked_for_conditionally(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    feed_id = await _feed(api.db, NEWS_FEED)
    validators = {"ETag": '"v1"', "Last-Modified": "Mon, 30 Nov 2026 10:00:00 GMT"}
    seen: list[tuple[str | None, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers.get("if-none-match"),
                     request.headers.get("if-modified-since")))
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers=validators)
        return httpx.Response(200, content=fixture("newsroom.atom"),
                              headers={**ATOM, **validators})

    respx_mock.get(f"https://{NEWS}/atom.xml").mock(side_effect=answer)

    await job_runner.run("import_feed", feed_id)
    first = (await _stored(api.db, feed_id)).last_fetched_at
    await job_runner.run("import_feed", feed_id)

    assert seen == [(None, None), ('"v1"', "Mon, 30 Nov 2026 10:00:00 GMT")]
    feed = await _stored(api.db, feed_id)
    assert feed.last_error is None and first is not None
    assert feed.last_fetched_at is not None and feed.last_fetched_at >= first
    assert len(await _queued(api.db)) == 2
    assert (await _runs(api.db, "import_feed"))[-1].result == {
        "imported": 0, "seen": 0, "new": 0, "already_posted": 0, "not_modified": True}


async def test_a_feed_deleted_meanwhile_is_skipped(
        api: Api, job_runner: JobRunner) -> None:
    await job_runner.run("import_feed", "0123456789abcdef0123456789abcdef")
    [run] = await _runs(api.db, "import_feed")
    assert (run.status, run.result) == ("ok", {"skipped": "no such feed"})


async def test_two_reads_at_once_import_each_entry_once(
        api: Api, respx_mock: respx.MockRouter) -> None:
    feed_id = await _feed(api.db, NEWS_FEED)
    _serve(respx_mock, NEWS, "/atom.xml", fixture("newsroom.atom"), ATOM)

    results = await asyncio.gather(
        importer.import_feed(api.db, feed_id, allow_private=False),
        importer.import_feed(api.db, feed_id, allow_private=False))

    assert len(await _queued(api.db)) == 2
    assert [r["imported"] for r in results] in ([0, 2], [2, 0])


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[str, ...]]] = []

    async def enqueue(self, name: str, *args: str, defer: float | None = None) -> None:
        self.sent.append((name, args))


async def test_the_sweep_asks_for_feeds_never_read_or_read_half_an_hour_ago(
        api: Api, settings: Settings) -> None:
    now = utcnow()
    never = await _feed(api.db, "https://blog.example.com/a.xml")
    stale = await _feed(api.db, "https://blog.example.com/b.xml",
                        last_fetched_at=now - timedelta(minutes=31))
    await _feed(api.db, "https://blog.example.com/c.xml",
                last_fetched_at=now - timedelta(minutes=10))
    jobs = Recorder()

    result = await feed_jobs.import_feeds(
        JobContext(db=api.db, settings=settings, jobs=jobs))

    assert result == {"enqueued": 2}
    assert jobs.sent == [("import_feed", (never,)), ("import_feed", (stale,))]
