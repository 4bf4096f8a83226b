"""Two publishers in two processes at the same instant: one publishes what a single run would
(the oracle's picks), the other nothing, and the 6-3-1 rule holds on every scope."""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import UTC, datetime

from app.core.db import Database
from app.models.enums import Category
from tests.builders import make_post, make_topic
from tests.content.desk import before_run, history
from tests.content.oracle import every_window_ok, expected_run

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
            before, due = await before_run(db, datetime.now(UTC))
            expected = expected_run(before.org, before.topics, due)
            first, second = await _publish_in_two_processes(db_url)
            assert sorted([first, second], key=len) == [[], expected]
        after = await history(db)  # topic sequences from the posts' own topics
        assert len(after.ids) >= 10
        assert every_window_ok(after.org)
        assert all(every_window_ok(sequence) for sequence in after.topics.values())
    finally:
        await db.dispose()
