"""Property tests of the 6-3-1 rule in advocates' feeds (§7): random programs (topics, users
following random sets, some inactive, rounds of queued posts and publisher runs as time
moves on) against the naive oracle of ``tests.content.oracle``, which rebuilds every active
user's feed from the whole history, user by user.

After each run: the run published exactly the oracle's picks (so every post it published
broke no sequence when it went out, and it stopped only when every due post left would break
one); every active user's feed, the organisation's and every topic's sequence satisfy §7;
each post left held by the mix is named with a sequence it would break, one that the most
active users see, and ``/mix`` asks for curated posts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from app.models import Post, PostTopic, User
from tests.builders import Api, make_user
from tests.content.desk import Desk, before_run, history, insert_queued
from tests.content.oracle import (
    Reader,
    breaking,
    every_window_ok,
    expected_feed_run,
    feed_of,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NAMES = ("t0", "t1", "t2", "t3")
categories = st.sampled_from(["curated", "owned", "promotional"])
post_topics = st.frozensets(st.sampled_from(NAMES), max_size=2)
readers = st.lists(
    st.builds(Reader, follows=st.frozensets(st.sampled_from(NAMES), max_size=3),
              active=st.booleans()),
    max_size=6,
)
# A round queues a few posts (due up to 90 minutes back or 2 hours ahead) and some curated
# posts in random topics, due at once; then the clock moves on and the publisher runs.
rounds = st.lists(
    st.tuples(st.lists(st.tuples(categories, post_topics, st.integers(-90, 120)), max_size=5),
              st.lists(post_topics, max_size=6), st.integers(0, 240)),
    min_size=1, max_size=6,
)
Program = list[tuple[list[tuple[str, frozenset[str], int]], list[frozenset[str]], int]]


@pytest.fixture
async def desk(api: Api) -> Desk:
    return await Desk.open(api)


async def _reset(api: Api, keep: set[str]) -> None:
    """Every example runs on the test's one database: drop its posts and retire the users
    of earlier examples (inactive users constrain nothing)."""
    async with api.db.transaction() as session:
        for model in (PostTopic, Post):
            await session.execute(delete(model))
        await session.execute(update(User).where(User.id.not_in(keep))
                              .values(deactivated_at=T0))


async def _add_readers(api: Api, people: list[Reader], topics: dict[str, str]) -> None:
    async with api.db.transaction() as session:
        for reader in people:
            await make_user(session, topic_ids=[topics[n] for n in sorted(reader.follows)],
                            active=reader.active)


def _ids(readers: list[Reader], topics: dict[str, str]) -> list[Reader]:
    return [Reader(frozenset(topics[n] for n in r.follows), r.active) for r in readers]


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(people=readers, program=rounds)
async def test_every_feed_keeps_the_rule_and_holds_are_explained(
    api: Api, desk: Desk, people: list[Reader], program: Program,
) -> None:
    marketer = (await desk.call("GET", "/me"))["id"]
    await _reset(api, {marketer})
    topics = dict(zip(NAMES, await desk.topics(len(NAMES)), strict=True))
    await _add_readers(api, people, topics)
    # The marketer follows no topic: the organisation's sequence is its feed.
    everyone = [*_ids(people, topics), Reader(frozenset())]
    now = T0
    for queued, fill, advance in program:
        await insert_queued(api.db, [
            *((c, [topics[n] for n in names], now + timedelta(minutes=offset))
              for c, names, offset in queued),
            *(("curated", [topics[n] for n in names], None) for names in fill),
        ], now)
        now += timedelta(minutes=advance)
        before, due = await before_run(api.db, now)
        expected = expected_feed_run(before.posts, everyone, due)
        assert await desk.run(now) == expected
        after = await history(api.db)
        assert after.ids == before.ids + expected
        assert every_window_ok(after.org)
        assert all(every_window_ok(s) for s in after.topics.values())
        for reader in everyone:
            if reader.active:
                assert every_window_ok(feed_of(after.posts, reader.follows)), reader
        page = await desk.call("GET", "/queue", now, params={"limit": 100})
        left = {q.id: q for q in due if q.id not in expected}
        held = [i for i in page["items"] if i["blocked_by"] == "mix"]
        assert {i["post"]["id"] for i in held} == set(left)
        assert all(i["blocked_by"] != "mix" or i["held_by"] for i in page["items"])
        assert all(i["held_by"] is None for i in page["items"] if i["blocked_by"] != "mix")
        for item in held:
            reasons = breaking(after.posts, everyone, left[item["post"]["id"]])
            most = max(n for _, n in reasons)  # the oracle agrees it breaks something
            named = (frozenset(item["held_by"]["topic_ids"]), item["held_by"]["advocates"])
            assert named in reasons and named[1] == most
        mix = await desk.call("GET", "/mix", now)
        assert (mix["needs"]["curated"] > 0) == bool(held)
