"""Where a process sends the jobs its work enqueues (CONTRACT: jobs): to arq when Redis is
configured (``chorus worker`` runs them), else to a runner of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq import create_pool
from arq.connections import RedisSettings

from app.core.config import Settings
from app.core.db import Database
from app.jobs.catalog import JOBS
from app.jobs.inline import InlineJobs
from app.jobs.redis_queue import ArqJobs


def inline_jobs(db: Database, settings: Settings) -> InlineJobs | None:
    """Without Redis, this process runs ``db``'s jobs itself (the caller closes the runner);
    None with Redis."""
    if settings.redis_url:
        return None
    runner = InlineJobs(db, settings, JOBS)
    db.jobs = runner
    return runner


@asynccontextmanager
async def arq_jobs(db: Database, settings: Settings) -> AsyncIterator[None]:
    """With Redis, ``db``'s jobs go to arq while the block runs; nothing without."""
    if not settings.redis_url:
        yield
        return
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    db.jobs = ArqJobs(pool, JOBS)
    try:
        yield
    finally:
        await pool.aclose()
