"""``content.publish_due`` runs the same code in-process and on arq with Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.worker import Worker
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database
from app.jobs.scheduler import InProcessScheduler
from app.jobs.worker import WorkerSettings, content_publish_due
from app.models import Post
from app.models.enums import PostStatus
from tests.builders import make_post

REDIS_URL = os.environ.get("CHORUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def _statuses(db: Database) -> list[str]:
    async with db.transaction() as session:
        return [str(s) for s in await session.scalars(select(Post.status).order_by(Post.id))]


async def _queue_two(db: Database) -> None:
    async with db.transaction() as session:
        await make_post(session)
        await make_post(session, publish_at=utcnow() + timedelta(days=1))


async def test_in_process_scheduler_publishes_due_posts(db: Database, settings: Settings) -> None:
    await _queue_two(db)
    await InProcessScheduler(db, settings).tick()
    assert sorted(await _statuses(db)) == [PostStatus.published, PostStatus.queued]


@pytest.fixture
async def redis_pool() -> AsyncIterator[ArqRedis]:
    # Redis is a backend CI must exercise: unreachable Redis fails the test, never skips it.
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    yield pool
    await pool.aclose()


async def test_arq_worker_runs_the_same_job_from_redis(db: Database,
                                                       redis_pool: ArqRedis) -> None:
    await _queue_two(db)
    queue = f"chorus:test:{uuid.uuid4().hex}"
    job = await redis_pool.enqueue_job("content_publish_due", _queue_name=queue)
    assert job is not None
    worker = Worker(functions=[content_publish_due], redis_pool=redis_pool, queue_name=queue,
                    burst=True, handle_signals=False, ctx={"db": db}, poll_delay=0.05)
    await worker.main()
    assert worker.jobs_complete == 1 and worker.jobs_failed == 0
    assert sorted(await _statuses(db)) == [PostStatus.published, PostStatus.queued]


def test_worker_settings_schedule_publish_due_every_minute() -> None:
    cron = WorkerSettings.cron_jobs[0]
    assert cron.coroutine is content_publish_due and cron.second == 0 and cron.unique
