"""Two publishers in two processes at the same instant never break the 6-3-1 rule."""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections import defaultdict

from sqlalchemy import select

from app.core.db import Database
from app.models import Post, PostTopic
from app.models.enums import Category, PostStatus
from tests.builders import make_post, make_topic
from tests.content.oracle import every_window_ok

CHILD = """
import asyncio, sys, time
from app.content.jobs import publish_due
from app.core.db import Database

async def main(url: str, start: float) -> None:
    db = Database(url)
    async with db.engine.connect():  # connect before the start line, not after it
        pass
    await asyncio.sleep(max(0.0, start - time.time()))
    published = await publish_due(db)
    print(",".join(published))
    await db.dispose()

asyncio.run(main(sys.argv[1], float(sys.argv[2])))
"""


async def _publish_in_two_processes(url: str) -> list[list[str]]:
    start = time.time() + 2.0
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, url, str(start),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        for _ in range(2)
    ]
    results = []
    for child in children:
        out, err = await child.communicate()
        assert child.returncode == 0, err.decode()
        line = out.decode().strip()
        results.append([i for i in line.split(",") if i])
    return results


async def test_two_publisher_processes_never_break_the_rule(db_url: str) -> None:
    rng = random.Random(631)
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            topics = [(await make_topic(session)).id for _ in range(3)]
        for _ in range(3):
            async with db.transaction() as session:
                for _ in range(25):
                    await make_post(
                        session,
                        category=rng.choice([Category.curated, Category.owned,
                                             Category.owned, Category.promotional]),
                        topic_ids=rng.sample(topics, k=rng.choice([1, 2])),
                    )
            first, second = await _publish_in_two_processes(db_url)
            assert not set(first) & set(second), "a post was published twice"
        async with db.transaction() as session:
            rows = list(await session.execute(
                select(Post.id, Post.category).where(Post.status == PostStatus.published)
                .order_by(Post.published_at)))
            by_topic: dict[str, list[str]] = defaultdict(list)
            for topic_id, category in await session.execute(
                select(PostTopic.topic_id, PostTopic.category)
                .where(PostTopic.published_at.is_not(None)).order_by(PostTopic.published_at)
            ):
                by_topic[topic_id].append(category)
        assert len(rows) >= 10
        assert every_window_ok([c for _, c in rows])
        assert all(every_window_ok(seq) for seq in by_topic.values())
    finally:
        await db.dispose()
