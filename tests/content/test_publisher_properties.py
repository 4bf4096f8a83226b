"""Property tests of the 6-3-1 publisher (§7): random queues, the invariant after every run on
every topic and organisation-wide, and the exact pick order against a naive oracle."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.content import mix, publisher
from app.core.db import Database
from app.models import Post, PostTopic
from app.models.enums import Category, PostStatus
from tests.builders import make_post, make_topic
from tests.content.oracle import Queued, every_window_ok, expected_run
from tests.databases import copy_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
categories = st.sampled_from([c.value for c in Category])
topic_sets = st.frozensets(st.sampled_from(["t0", "t1", "t2"]), max_size=2)


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, frozenset[str]]]:
    """A published history that satisfies the rule (built by keeping only fitting posts)."""
    history: list[tuple[str, frozenset[str]]] = []
    for category, topics in draw(st.lists(st.tuples(categories, topic_sets), max_size=25)):
        org = [c for c, _ in history]
        scopes = [org] + [[c for c, ts in history if t in ts] for t in topics]
        if all(every_window_ok([*s, category]) for s in scopes):
            history.append((category, topics))
    return history


queued_posts = st.lists(
    st.tuples(categories, topic_sets, st.integers(0, 5), st.integers(0, 5)),
    max_size=14,
)


@settings(max_examples=400, deadline=None)
@given(history=histories(), queued=queued_posts)
def test_plan_matches_the_oracle_and_keeps_the_rule(
    history: list[tuple[str, frozenset[str]]], queued: list[tuple[str, frozenset[str], int, int]],
) -> None:
    org = [c for c, _ in history]
    by_topic: dict[str, list[str]] = defaultdict(list)
    for category, topics in history:
        for t in topics:
            by_topic[t].append(category)
    due = [Queued(f"p{i:02d}", c, ts, T0 + timedelta(minutes=d), T0 + timedelta(minutes=k))
           for i, (c, ts, d, k) in enumerate(queued)]
    sequences = mix.Sequences([Category(c) for c in org],
                              {t: [Category(c) for c in s] for t, s in by_topic.items()})
    candidates = [mix.Candidate(q.id, Category(q.category), tuple(sorted(q.topics)), q.due_at,
                                q.created_at) for q in due]
    planned = [c.id for c in mix.plan(sequences, candidates)]
    assert planned == expected_run(org, dict(by_topic), due)
    final_org = org + [next(q.category for q in due if q.id == i) for i in planned]
    assert every_window_ok(final_org)


def test_nine_curated_posts_release_anything() -> None:
    sequences = mix.Sequences([Category.promotional], {})
    held = mix.Candidate("x", Category.promotional, (), T0, T0)
    assert not sequences.eligible(held)
    assert sequences.curated_needed(held) == 9


# --- the same property through the database -------------------------------------------

step = st.one_of(
    st.tuples(st.just("queue"), categories, topic_sets, st.integers(-90, 120)),
    st.tuples(st.just("run"), st.integers(1, 240)),
)


async def _sequences(session: object) -> tuple[list[str], dict[str, list[str]]]:
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(session, AsyncSession)
    org = [c for c in await session.scalars(
        select(Post.category).where(Post.published_at.is_not(None)).order_by(Post.published_at))]
    topics: dict[str, list[str]] = defaultdict(list)
    for topic_id, category in await session.execute(
        select(PostTopic.topic_id, PostTopic.category)
        .where(PostTopic.published_at.is_not(None)).order_by(PostTopic.published_at)
    ):
        topics[topic_id].append(category)
    return org, dict(topics)


async def _scenario(url: str, steps: list[tuple[object, ...]]) -> None:
    db = Database(url)
    now = T0
    try:
        async with db.transaction() as session:
            topic_ids = {name: (await make_topic(session)).id for name in ("t0", "t1", "t2")}
        for kind, *args in steps:
            async with db.transaction() as session:
                if kind == "queue":
                    category, names, offset = args
                    assert isinstance(names, frozenset) and isinstance(offset, int)
                    post = await make_post(
                        session, category=Category(str(category)),
                        topic_ids=[topic_ids[n] for n in sorted(names)],
                        publish_at=now + timedelta(minutes=offset))
                    post.created_at = now
                    continue
                (advance,) = args
                assert isinstance(advance, int)
                now += timedelta(minutes=advance)
                org, topics = await _sequences(session)
                queued = list(await session.scalars(
                    select(Post).where(Post.status == PostStatus.queued)))
                post_topics: dict[str, set[str]] = defaultdict(set)
                for pid, tid in await session.execute(select(PostTopic.post_id,
                                                             PostTopic.topic_id)):
                    post_topics[pid].add(tid)
                due = [Queued(p.id, str(p.category), frozenset(post_topics[p.id]),
                              p.publish_at or p.created_at, p.created_at)
                       for p in queued if (p.publish_at or p.created_at) <= now]
                expected = expected_run(org, topics, due)
                published = [p.id for p in await publisher.run(session, now=now)]
                assert published == expected
            async with db.transaction() as session:
                org, topics = await _sequences(session)
                assert every_window_ok(org)
                assert all(every_window_ok(seq) for seq in topics.values())
    finally:
        await db.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)
@given(steps=st.lists(step, min_size=1, max_size=30))
def test_publisher_runs_keep_the_rule_on_every_scope(template: str,
                                                    steps: list[tuple[object, ...]]) -> None:
    async def main() -> None:
        async with copy_of(template) as url:
            await _scenario(url, steps)

    asyncio.run(main())
