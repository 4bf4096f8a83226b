"""The publisher of §7 against the database: publish due posts, explain the queue and mix.

Decisions read only the last nine posts of the organisation and of each topic involved
(see ``app.content.mix``), through indexes, so their cost does not grow with history. The
feeds of §7 add no history to read: a feed's last nine posts are the newest nine of the
union of its topics' last nine. Which feeds exist is counted in the database, one row per
distinct set of followed topics (``app.content.audience``).
Two publishers never decide at once: each takes the ``publisher`` lock row first (a row lock
on PostgreSQL, the write lock on SQLite), so the second one sees the first one's posts.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Executable, bindparam, func, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.content import audience as audience_service
from app.content import mix
from app.content.audience import Audience
from app.content.schemas import HeldBy, MixCounts, MixNeeds, MixRead
from app.core.clock import utcnow
from app.core.db import dialect_insert
from app.core.references import linked_ids
from app.models import Post, PostTopic, PublisherLock
from app.models.enums import Category, PostStatus
from app.webhooks import events as webhook_events

LOCK_NAME = "publisher"
_TICK = timedelta(microseconds=1)
# Topics' tails read per statement (SQLite allows 500 terms in a compound SELECT).
_TAILS_PER_STATEMENT = 100


async def take_lock(session: AsyncSession) -> None:
    """Serialise publishers until this transaction ends (first write of the transaction)."""
    await session.execute(
        dialect_insert(session)(PublisherLock).values(name=LOCK_NAME)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    await session.execute(
        update(PublisherLock).where(PublisherLock.name == LOCK_NAME).values(taken_at=utcnow())
    )


async def _org_tail(session: AsyncSession) -> list[Category]:
    rows = await session.scalars(
        select(Post.category).where(Post.published_at.is_not(None))
        .order_by(Post.published_at.desc()).limit(mix.WINDOW - 1)
    )
    return [Category(str(c)) for c in reversed(list(rows))]


@dataclass(frozen=True)
class _Published:
    stamp: datetime
    post_id: str
    category: Category


@functools.cache
def _tails_statement(count: int) -> Executable:
    """The last nine published posts of ``count`` topics (bound as ``t0``…): one index range
    per topic, in one statement, built once per count so it compiles once."""
    selects = [
        select(
            select(PostTopic.topic_id, PostTopic.post_id, PostTopic.published_at,
                   PostTopic.category)
            .where(PostTopic.topic_id == bindparam(f"t{i}"), PostTopic.published_at.is_not(None))
            .order_by(PostTopic.published_at.desc()).limit(mix.WINDOW - 1).subquery()
        )
        for i in range(count)
    ]
    return union_all(*selects) if count > 1 else selects[0]


async def _topic_tails(session: AsyncSession, topic_ids: set[str]
                       ) -> dict[str, list[_Published]]:
    """Each topic's last nine published posts, oldest first."""
    tails: dict[str, list[_Published]] = {t: [] for t in topic_ids}
    ordered = sorted(topic_ids)
    for start in range(0, len(ordered), _TAILS_PER_STATEMENT):
        chunk = ordered[start:start + _TAILS_PER_STATEMENT]
        params = {f"t{i}": t for i, t in enumerate(chunk)}
        for topic_id, post_id, stamp, category in await session.execute(
                _tails_statement(len(chunk)), params):
            tails[topic_id].append(_Published(stamp, post_id, Category(str(category))))
    for tail in tails.values():
        tail.sort(key=lambda p: p.stamp)
    return tails


def _feed_tail(tails: dict[str, list[_Published]], feed: mix.Scope) -> list[Category]:
    """The newest nine posts carrying any of the feed's topics (a post once, however many
    of them it carries)."""
    posts = {p.post_id: p for t in feed for p in tails[t]}
    newest = sorted(posts.values(), key=lambda p: p.stamp)[-(mix.WINDOW - 1):]
    return [p.category for p in newest]


async def load_sequences(session: AsyncSession, candidates: Sequence[mix.Candidate], *,
                         counted: bool = True) -> tuple[mix.Sequences, Audience]:
    """The sequences the candidates would join: the organisation's, their topics', and the
    feeds of active users that would show them; and who sees which (``counted``: with the
    users who follow no topic, for ``held_by``)."""
    topics = _topics_of(candidates)
    audience = (await audience_service.load(session, topics, count_no_topic=counted)
                if candidates else Audience({}))
    feeds = [f for f in audience.feeds() if f & topics]
    tails = await _topic_tails(session, topics.union(*feeds))
    sequences = mix.Sequences(
        await _org_tail(session),
        {t: [p.category for p in tails[t]] for t in topics},
        {f: _feed_tail(tails, f) for f in feeds},
    )
    return sequences, audience


def due_time(post: Post) -> datetime:
    """A post without ``publish_at`` has been due since it was queued."""
    return post.publish_at or post.created_at


@dataclass
class QueueState:
    """Queued posts with their topics, split by whether they are due at ``now``."""

    due: list[mix.Candidate]
    scheduled: list[mix.Candidate]
    posts: dict[str, Post]


async def _queued(session: AsyncSession, now: datetime, *, due_only: bool) -> QueueState:
    stmt = select(Post).where(Post.status == PostStatus.queued)
    if due_only:
        stmt = stmt.where(or_(Post.publish_at.is_(None), Post.publish_at <= now))
    posts = {p.id: p for p in await session.scalars(stmt)}
    topics = await linked_ids(session, PostTopic.post_id, PostTopic.topic_id, list(posts))
    state = QueueState(due=[], scheduled=[], posts=posts)
    for post in posts.values():
        assert post.category is not None
        candidate = mix.Candidate(
            id=post.id, category=Category(post.category), topic_ids=tuple(sorted(topics[post.id])),
            due_at=due_time(post), created_at=post.created_at,
        )
        (state.due if candidate.due_at <= now else state.scheduled).append(candidate)
    return state


def _topics_of(candidates: Sequence[mix.Candidate]) -> set[str]:
    return {t for c in candidates for t in c.topic_ids}


async def run(session: AsyncSession, *, now: datetime | None = None) -> list[Post]:
    """Publish what is due, one post at a time, re-checking eligibility after each."""
    now = now or utcnow()
    await take_lock(session)
    state = await _queued(session, now, due_only=True)
    if not state.due:
        return []
    sequences, _ = await load_sequences(session, state.due, counted=False)
    planned = mix.plan(sequences, state.due)
    last = await session.scalar(select(func.max(Post.published_at)))
    published: list[Post] = []
    for candidate in planned:
        # published_at is strictly increasing across the organisation: it is the sequence.
        stamp = now if last is None or now > last else last + _TICK
        last = stamp
        post = state.posts[candidate.id]
        post.status = PostStatus.published
        post.published_at = stamp
        post.updated_at = now
        await session.execute(
            update(PostTopic).where(PostTopic.post_id == post.id)
            .values(published_at=stamp, category=post.category)
        )
        published.append(post)
    await session.flush()
    await webhook_events.posts_published(session, [(state.posts[c.id], c.topic_ids)
                                                   for c in planned])
    return published


@dataclass(frozen=True)
class QueueEntry:
    post: Post
    eligible_at: datetime
    blocked_by: Literal["review", "schedule", "mix"] | None
    held_by: HeldBy | None = None


@dataclass
class QueueView:
    entries: list[QueueEntry]
    held: list[mix.Candidate]
    after_run: mix.Sequences
    audience: Audience


async def queue_view(session: AsyncSession, *, now: datetime | None = None) -> QueueView:
    """Queued and suggested posts in the order the publisher will use them.

    First what a run now would publish, in its order (not blocked); then due posts the mix
    holds back; then posts not yet due, by due time; then suggestions awaiting review.
    """
    now = now or utcnow()
    state = await _queued(session, now, due_only=False)
    sequences, audience = await load_sequences(session, state.due)
    planned = mix.plan(sequences, state.due)
    planned_ids = {c.id for c in planned}
    preference = mix.category_preference(sequences.org)
    held = sorted((c for c in state.due if c.id not in planned_ids),
                  key=lambda c: (preference.index(c.category), c.pick_key))
    scheduled = sorted(state.scheduled, key=lambda c: c.pick_key)
    entries = [QueueEntry(state.posts[c.id], c.due_at, None) for c in planned]
    entries += [QueueEntry(state.posts[c.id], c.due_at, "mix",
                           audience.held_by(sequences, c)) for c in held]
    entries += [QueueEntry(state.posts[c.id], c.due_at, "schedule") for c in scheduled]
    suggestions = await session.scalars(
        select(Post).where(Post.status == PostStatus.suggested)
        .order_by(Post.created_at, Post.id)
    )
    entries += [QueueEntry(p, due_time(p), "review") for p in suggestions]
    return QueueView(entries=entries, held=held, after_run=sequences, audience=audience)


async def _published_sequence(session: AsyncSession, topic_id: str | None) -> list[Category]:
    if topic_id is None:
        stmt = select(Post.category).where(Post.published_at.is_not(None)) \
            .order_by(Post.published_at)
    else:
        stmt = select(PostTopic.category).where(
            PostTopic.topic_id == topic_id, PostTopic.published_at.is_not(None)
        ).order_by(PostTopic.published_at)
    return [Category(str(c)) for c in await session.scalars(stmt)]


async def _all_topics_compliant(session: AsyncSession) -> bool:
    by_topic: dict[str, list[Category]] = defaultdict(list)
    for topic_id, category in await session.execute(
        select(PostTopic.topic_id, PostTopic.category)
        .where(PostTopic.published_at.is_not(None))
        .order_by(PostTopic.topic_id, PostTopic.published_at)
    ):
        by_topic[topic_id].append(Category(str(category)))
    return all(mix.compliant(seq) for seq in by_topic.values())


async def mix_view(session: AsyncSession, *, topic_id: str | None,
                   view: QueueView | None = None) -> MixRead:
    """``/mix``: the last ten in scope, whether every run complies, and how many curated
    posts would release a post the mix now holds back."""
    sequence = await _published_sequence(session, topic_id)
    last = sequence[-mix.WINDOW:]
    compliant = mix.compliant(sequence)
    if topic_id is None and compliant:
        compliant = await _all_topics_compliant(session)
    view = view or await queue_view(session)
    held = [c for c in view.held if topic_id is None or topic_id in c.topic_ids]
    needs = min((view.after_run.curated_needed(c) for c in held), default=0)
    return MixRead(
        last=MixCounts(**{c.value: last.count(c) for c in Category}),
        compliant=compliant,
        needs=MixNeeds(curated=needs),
    )
