"""Reading one feed: its new entries become queued posts (CONTRACT §9 ``import_feeds``).

The feed is fetched through the SSRF-safe fetcher (public addresses only, every redirect
re-checked, at most 5 MB in 10 s), conditionally when the last answer carried an ``ETag`` or
``Last-Modified``, and parsed by :mod:`app.feeds.parsing`. A feed that cannot be read or
parsed gets ``last_error`` and gives nothing; it is read again at its next turn.

Each entry is imported once per feed: ``feed_entries`` keeps every entry seen (its key is the
primary key), and an entry becomes a post only when inserting its row inserted something,
so two reads of one feed at the same time import it once. The post is created by the
content service, as ``POST /api/v1/posts`` creates one (so a post without an image or
summary gets its link preview the same way): queued, due now, with the feed's category and
topics, the entry's title as its default caption. An entry whose link is already a post
(queued by hand, or given by another feed of the same site) is noted and not queued again.

A feed's first read that finds entries imports only its ``FIRST_READ_POSTS`` newest ones
and marks the others as seen, so that registering a blog with years of posts does not flood
the queue; later reads import every entry not seen before.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.content import service as content_service
from app.content.schemas import Captions, PostCreate
from app.core.clock import utcnow
from app.core.db import Database, dialect_insert
from app.core.fetch import Fetched, FetchError, fetch
from app.feeds.parsing import Entry, NotAFeed, ParsedFeed, parse
from app.models import Post
from app.models.feeds import Feed, FeedEntry, FeedTopic

log = logging.getLogger("chorus.feeds")

MAX_BYTES = 5_000_000
TIMEOUT = 10.0
MAX_REDIRECTS = 5
FIRST_READ_POSTS = 20
ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
          "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1")
_ERROR_CHARS = 500
_VALIDATOR_CHARS = 256


@dataclass(frozen=True)
class Source:
    """What a read needs to know of the feed, read before the fetch."""

    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Outcome:
    parsed: ParsedFeed | None = None
    error: str | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None


async def _source(db: Database, feed_id: str) -> Source | None:
    async with db.transaction() as session:
        feed = await session.get(Feed, feed_id)
        if feed is None:
            return None
        return Source(url=feed.url, etag=feed.etag, last_modified=feed.last_modified)


def _conditional(source: Source) -> dict[str, str]:
    headers = {}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    return headers


def _validator(fetched: Fetched, name: str) -> str | None:
    value = fetched.headers.get(name)
    return value if value and len(value) <= _VALIDATOR_CHARS else None


async def _parsed(fetched: Fetched) -> Outcome:
    if fetched.status == 304:
        return Outcome(not_modified=True)
    if not 200 <= fetched.status < 300:
        return Outcome(error=f"the feed answered HTTP {fetched.status}")
    try:
        # feedparser is synchronous: a large feed must not hold up the event loop.
        parsed = await asyncio.to_thread(parse, fetched.body, url=fetched.url,
                                         content_type=fetched.headers.get("content-type"))
    except NotAFeed as exc:
        return Outcome(error=str(exc))
    return Outcome(parsed=parsed, etag=_validator(fetched, "etag"),
                   last_modified=_validator(fetched, "last-modified"))


async def _read(source: Source, *, allow_private: bool) -> Outcome:
    try:
        fetched = await fetch(source.url, max_bytes=MAX_BYTES, timeout=TIMEOUT,
                              max_redirects=MAX_REDIRECTS, allow_private=allow_private,
                              accept=ACCEPT, headers=_conditional(source))
    except FetchError as exc:
        return Outcome(error=exc.reason)
    return await _parsed(fetched)


def _post(entry: Entry, feed: Feed, topic_ids: list[str]) -> PostCreate | None:
    try:
        return PostCreate(url=entry.url, title=entry.title, summary=entry.summary,
                          image_url=entry.image_url, category=feed.category,
                          topic_ids=topic_ids, captions=Captions(default=entry.title or ""))
    except ValidationError:
        return None


async def _store(db: Database, feed_id: str, outcome: Outcome) -> dict[str, int] | None:
    """Record the read and import what is new, in one unit of work."""
    async with db.transaction() as session:
        feed = await session.scalar(select(Feed).where(Feed.id == feed_id).with_for_update())
        if feed is None:  # deleted while it was being read
            return None
        feed.last_fetched_at = utcnow()
        feed.last_error = outcome.error[:_ERROR_CHARS] if outcome.error else None
        if outcome.parsed is None:
            return {"imported": 0, "seen": 0, "new": 0, "already_posted": 0}
        feed.title = outcome.parsed.title or feed.title
        feed.etag, feed.last_modified = outcome.etag, outcome.last_modified
        return await _import_entries(session, feed, outcome.parsed)


async def _claim(session: AsyncSession, feed: Feed, entry: Entry) -> bool:
    """Note the entry as seen; False when it was already (by this read or another)."""
    inserted = await session.scalar(
        dialect_insert(session)(FeedEntry)
        .values(feed_id=feed.id, key=entry.key, seen_at=utcnow())
        .on_conflict_do_nothing(index_elements=[FeedEntry.feed_id, FeedEntry.key])
        .returning(FeedEntry.key))
    return inserted is not None


async def _import_entries(session: AsyncSession, feed: Feed, parsed: ParsedFeed
                          ) -> dict[str, int]:
    counts = {"imported": 0, "seen": 0, "new": 0, "already_posted": 0}
    topic_ids = sorted(await session.scalars(
        select(FeedTopic.topic_id).where(FeedTopic.feed_id == feed.id)))
    # The first read is the first that finds entries (not the first attempt: a blog whose
    # first read failed must not flood the queue on its second).
    first_read = await session.scalar(
        select(FeedEntry.key).where(FeedEntry.feed_id == feed.id).limit(1)) is None
    keep = parsed.entries[:FIRST_READ_POSTS] if first_read else parsed.entries
    wanted = {entry.key for entry in keep}
    # Oldest first: posts are created, and so queued, in the order the feed gave them.
    for entry in reversed(parsed.entries):
        if not await _claim(session, feed, entry):
            counts["seen"] += 1
            continue
        counts["new"] += 1
        data = _post(entry, feed, topic_ids) if entry.key in wanted else None
        if data is None:
            continue
        # A link already in Chorus (queued by hand, or given by another feed of the same
        # site) is not queued a second time.
        if await session.scalar(select(Post.id).where(Post.url == data.url).limit(1)):
            counts["already_posted"] += 1
            continue
        post = await content_service.create(session, data=data)
        await session.execute(
            update(FeedEntry).where(FeedEntry.feed_id == feed.id, FeedEntry.key == entry.key)
            .values(post_id=post.id))
        counts["imported"] += 1
    return counts


async def import_feed(db: Database, feed_id: str, *, allow_private: bool) -> dict[str, object]:
    """Read one feed now; what the run did, for the job's record."""
    source = await _source(db, feed_id)
    if source is None:
        return {"skipped": "no such feed"}
    outcome = await _read(source, allow_private=allow_private)
    if outcome.error:
        log.warning("feed not read", extra={"feed_id": feed_id, "reason": outcome.error})
    counts = await _store(db, feed_id, outcome)
    if counts is None:
        return {"skipped": "deleted while read"}
    result: dict[str, object] = dict(counts)
    if outcome.error:
        result["error"] = outcome.error[:_ERROR_CHARS]
    if outcome.not_modified:
        result["not_modified"] = True
    return result
