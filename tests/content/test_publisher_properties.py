"""Property tests of the 6-3-1 publisher (§7): random queues (written to the tables), runs
through the public API at chosen instants, each run's exact picks against the naive oracle, and
the rule on every scope afterwards.

Expected values come from the oracle over the history as the models record it: each post's
own topics and its ``published_at`` (see ``tests.content.desk``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from app.models import Post, PostTopic
from tests.builders import Api
from tests.content.desk import Desk, before_run, history, insert_queued
from tests.content.oracle import every_window_ok, expected_run

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
categories = st.sampled_from(["curated", "owned", "promotional"])
topic_sets = st.frozensets(st.sampled_from(["t0", "t1", "t2"]), max_size=2)
# A round queues a few posts (publish_at up to 90 minutes back or 2 hours ahead), then some
# curated posts without topics, due at once, then moves the clock on and runs the publisher.
# The curated fill moves the organisation's window on while a topic's window still reaches
# back: that is when the topic windows, not the organisation's, decide.
rounds = st.lists(
    st.tuples(st.lists(st.tuples(categories, topic_sets, st.integers(-90, 120)), max_size=4),
              st.integers(0, 9), st.integers(0, 240)),
    min_size=1, max_size=8,
)


@pytest.fixture
async def desk(api: Api) -> Desk:
    return await Desk.open(api)


async def _reset(api: Api) -> None:
    """Hypothesis runs every example on the test's one database (and its one marketer)."""
    async with api.db.transaction() as session:
        for model in (PostTopic, Post):
            await session.execute(delete(model))


@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(program=rounds)
async def test_publisher_runs_match_the_oracle_and_keep_the_rule(
    api: Api, desk: Desk, program: list[tuple[list[tuple[str, frozenset[str], int]], int, int]],
) -> None:
    await _reset(api)
    topics = dict(zip(("t0", "t1", "t2"), await desk.topics(3), strict=True))
    now = T0
    published: list[str] = []
    for queued, fill, advance in program:
        await insert_queued(api.db, [
            *((c, [topics[n] for n in names], now + timedelta(minutes=offset))
              for c, names, offset in queued),
            *(("curated", [], None) for _ in range(fill)),
        ], now)
        now += timedelta(minutes=advance)
        before, due = await before_run(api.db, now)
        assert before.ids == published  # published_at orders posts as they were published
        expected = expected_run(before.org, before.topics, due)
        assert await desk.run(now) == expected
        published = before.ids + expected
    after = await history(api.db)
    assert after.ids == published
    # The history only grows, so its every window covers every earlier state's.
    assert every_window_ok(after.org)
    assert all(every_window_ok(sequence) for sequence in after.topics.values())
