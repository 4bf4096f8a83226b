"""The console's queue page: the publisher's order, why each post waits, the live 6-3-1 mix.

Built on one ``publisher.queue_view`` (what ``GET /api/v1/queue`` and ``GET /api/v1/mix``
are made of), so the order, ``blocked_by``, ``held_by`` and ``needs`` agree with the API. A
post held by the mix is explained from the same state the publisher decides on: which windows
it would break (the organisation's, its topics' or advocates' feeds'), the rule it would
break, how many curated posts carrying its topics would release it, and which sequence holds
it for the most advocates (``held_by``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.content import mix, publisher
from app.content import service as content_service
from app.content.schemas import HeldBy, MixRead, PostRead
from app.core.errors import Invalid, NotFound
from app.core.pagination import decode_cursor, encode_cursor
from app.models import Post
from app.models.enums import Category
from app.web.console import lookups
from app.web.console.lookups import TopicRef

PAGE_SIZE = 50
MAX_PUBLISHED_SHOWN = 20


@dataclass(frozen=True)
class HeldByNote:
    """``held_by`` with topic names: the sequence that holds the post for the most advocates."""

    topics: list[TopicRef]  # two or more: a feed; one: that topic's; none: the organisation's
    advocates: int


@dataclass(frozen=True)
class Hold:
    """Why the 6-3-1 rule holds a due post back."""

    needed: int  # curated posts, carrying the held post's topics, that would release it
    topics: list[TopicRef]  # the topics whose last ten are full; empty: the organisation's,
    # or only advocates' feeds (``feeds_only``)
    promotional: bool  # the window already has its one promotional post (else: four owned
    # and promotional posts)
    by: HeldByNote | None = None
    feeds_only: bool = False  # neither the organisation's nor a topic's window is full


@dataclass(frozen=True)
class Entry:
    post: PostRead
    position: int
    eligible_at: datetime
    blocked_by: str | None
    topics: list[TopicRef]
    hold: Hold | None


@dataclass(frozen=True)
class SavedNote:
    """Where a post the marketer just saved landed."""

    post: PostRead
    position: int | None  # in the whole queue; None once it is no longer queued
    entry: Entry | None


@dataclass(frozen=True)
class PublishedNote:
    posts: list[PostRead]
    count: int


@dataclass
class QueueScreen:
    entries: list[Entry]
    next_cursor: str | None
    mix: MixRead
    topics: list[TopicRef]
    topic: TopicRef | None
    topic_mix: MixRead | None
    saved: SavedNote | None
    published: PublishedNote | None
    pending: int


def explain_hold(sequences: mix.Sequences, candidate: mix.Candidate,
                 topics: Sequence[TopicRef], held_by: HeldBy | None = None) -> Hold:
    """``sequences`` as after a run now (``QueueView.after_run``); ``candidate`` held by it."""
    category = candidate.category
    breaking = sequences.breaking(candidate)
    full = [t for t in candidate.topic_ids if frozenset((t,)) in breaking]
    feeds_only = not full and mix.ORGANISATION not in breaking
    if full:
        scopes = [sequences.of_topic(t) for t in full]
    elif feeds_only:
        scopes = [sequences.scopes[k] for k in breaking]
    else:
        scopes = [sequences.org]
    recent = [scope[-(mix.WINDOW - 1):] for scope in scopes]
    promotional = category == Category.promotional and any(
        Category.promotional in run for run in recent)
    by = None
    if held_by is not None:
        by = HeldByNote(lookups.names_of(topics, held_by.topic_ids), held_by.advocates)
    return Hold(needed=sequences.curated_needed(candidate),
                topics=lookups.names_of(topics, full), promotional=promotional, by=by,
                feeds_only=feeds_only)


def _start(cursor: str | None) -> int:
    if not cursor:
        return 0
    (start,) = decode_cursor(cursor, 1)
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise Invalid("The cursor is not one this server gave out.", loc=["query", "cursor"])
    return start


async def _published(session: AsyncSession, ids: Sequence[str], count: int) -> PublishedNote:
    wanted = list(dict.fromkeys(ids))[:MAX_PUBLISHED_SHOWN]
    posts = {p.id: p for p in await session.scalars(select(Post).where(Post.id.in_(wanted)))}
    reads = await content_service.to_read(session, [posts[i] for i in wanted if i in posts])
    return PublishedNote(reads, max(count, len(reads)))


@dataclass(frozen=True)
class _Entries:
    """Queue entries for the page, explained from one queue view."""

    view: publisher.QueueView
    topics: Sequence[TopicRef]

    def make(self, queued: publisher.QueueEntry, post: PostRead, position: int) -> Entry:
        hold = None
        if queued.blocked_by == "mix":
            candidate = next(c for c in self.view.held if c.id == post.id)
            hold = explain_hold(self.view.after_run, candidate, self.topics, queued.held_by)
        return Entry(post, position, queued.eligible_at, queued.blocked_by,
                     lookups.names_of(self.topics, post.topic_ids), hold)

    async def saved(self, session: AsyncSession, post_id: str) -> SavedNote | None:
        post = await session.get(Post, post_id)
        if post is None:
            return None
        read = await content_service.read_one(session, post)
        for index, queued in enumerate(self.view.entries):
            if queued.post.id == post_id:
                return SavedNote(read, index + 1, self.make(queued, read, index + 1))
        return SavedNote(read, None, None)


async def queue_screen(session: AsyncSession, *, topic_id: str | None, cursor: str | None,
                       saved_id: str | None = None, published: Sequence[str] | None = None,
                       published_count: int = 0, limit: int = PAGE_SIZE) -> QueueScreen:
    """The queue page; ``topic_id`` narrows the queue and adds that topic's mix."""
    topics = await lookups.all_topics(session)
    topic = None
    if topic_id is not None:
        topic = next((t for t in topics if t.id == topic_id), None)
        if topic is None:
            raise NotFound("No such topic.")
    start = _start(cursor)
    view = await publisher.queue_view(session)
    explained = _Entries(view, topics)
    queued = view.entries
    if topic is not None:
        post_topics = await content_service.topic_ids_of(session, [e.post.id for e in queued])
        queued = [e for e in queued if topic.id in post_topics[e.post.id]]
    window = queued[start:start + limit]
    reads = await content_service.to_read(session, [e.post for e in window])
    return QueueScreen(
        entries=[explained.make(q, p, start + i + 1)
                 for i, (q, p) in enumerate(zip(window, reads, strict=True))],
        next_cursor=encode_cursor([start + limit]) if start + limit < len(queued) else None,
        mix=await publisher.mix_view(session, topic_id=None, view=view),
        topics=topics, topic=topic,
        topic_mix=(await publisher.mix_view(session, topic_id=topic.id, view=view)
                   if topic is not None else None),
        saved=await explained.saved(session, saved_id) if saved_id else None,
        published=(await _published(session, published, published_count)
                   if published is not None else None),
        pending=await lookups.pending_suggestions(session),
    )
