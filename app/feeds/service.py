"""Registered feeds (CONTRACT §3): marketers add RSS or Atom feeds with a category and
topics; ``import_feeds`` turns their new entries into queued posts (see ``importer``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.destinations import check_destination
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.core.references import known_ids, linked_ids
from app.feeds.schemas import FeedCreate, FeedRead
from app.jobs.queue import enqueue_after_commit
from app.models import Topic
from app.models.feeds import Feed, FeedEntry, FeedTopic

NEWEST_FIRST = (SortKey(Feed.created_at, descending=True, is_datetime=True),
                SortKey(Feed.id, descending=True))
DUPLICATE = "This feed is already registered."


class AddressRefused(Invalid):
    """The feed's host resolves to an address the fetcher refuses, or to none."""


def normalise(url: str) -> str:
    """The URL as stored and compared: scheme and host lower-cased (they are
    case-insensitive), the fragment dropped (it is never sent to the server)."""
    parts = urlsplit(url.strip())
    userinfo, at, hostport = parts.netloc.rpartition("@")
    return urlunsplit((parts.scheme.lower(), userinfo + at + hostport.lower(), parts.path,
                       parts.query, ""))


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


async def check_address(url: str, *, allow_private: bool) -> None:
    """Refuse (422) a URL whose host resolves to an address the fetcher would refuse, as
    webhook URLs are; the fetcher checks again on every read and every redirect."""
    try:
        await check_destination(url, what="The feed's URL", allow_private=allow_private)
    except Invalid as exc:
        raise AddressRefused(exc.detail, loc=["body", "url"]) from exc


async def get_or_raise(session: AsyncSession, feed_id: str) -> Feed:
    feed = await session.get(Feed, feed_id)
    if feed is None:
        raise NotFound("No such feed.")
    return feed


async def create(session: AsyncSession, *, data: FeedCreate, allow_private: bool) -> Feed:
    """Register a feed; it is first read once this unit of work commits (and, should that
    request be lost, by the sweep within a minute)."""
    url = normalise(data.url)
    key = url_key(url)
    if await session.scalar(select(Feed.id).where(Feed.url_key == key)) is not None:
        raise Conflict(DUPLICATE)
    topic_ids = await known_ids(session, Topic, data.topic_ids, "topic_ids")
    await check_address(url, allow_private=allow_private)
    feed = Feed(url=url, url_key=key, category=data.category)
    session.add(feed)
    try:
        await session.flush()
    except IntegrityError as exc:  # registered by a concurrent request meanwhile
        raise Conflict(DUPLICATE) from exc
    if topic_ids:
        await session.execute(insert(FeedTopic),
                              [{"feed_id": feed.id, "topic_id": t} for t in topic_ids])
    enqueue_after_commit(session, "import_feed", feed.id)
    return feed


async def delete(session: AsyncSession, feed: Feed) -> None:
    """Forget the feed and its entries; the posts it gave stay."""
    await session.delete(feed)
    await session.flush()


async def list_feeds(session: AsyncSession, *, limit: int, cursor: str | None
                     ) -> tuple[list[Feed], str | None]:
    rows = list(await session.scalars(keyset(select(Feed), NEWEST_FIRST, cursor, limit)))
    return page_of(rows, NEWEST_FIRST, limit)


async def to_read(session: AsyncSession, feeds: Sequence[Feed]) -> list[FeedRead]:
    ids = [f.id for f in feeds]
    topics = await linked_ids(session, FeedTopic.feed_id, FeedTopic.topic_id, ids)
    imported: dict[str, int] = {}
    if ids:
        imported = {feed_id: count for feed_id, count in await session.execute(
            select(FeedEntry.feed_id, func.count()).where(
                FeedEntry.feed_id.in_(ids), FeedEntry.post_id.is_not(None))
            .group_by(FeedEntry.feed_id))}
    return [FeedRead(id=f.id, url=f.url, title=f.title, category=f.category,
                     topic_ids=topics[f.id], created_at=f.created_at,
                     last_fetched_at=f.last_fetched_at, last_error=f.last_error,
                     entries_imported=imported.get(f.id, 0)) for f in feeds]


async def read_one(session: AsyncSession, feed: Feed) -> FeedRead:
    return (await to_read(session, [feed]))[0]
