"""``app.jobs.wiring``: a process's jobs go to arq with Redis, else to its own runner."""

from __future__ import annotations

from typing import Any

import pytest
from arq import ArqRedis

from app.core.config import Settings
from app.core.db import Database
from app.jobs import wiring
from app.jobs.catalog import JOBS
from app.jobs.inline import InlineJobs
from app.jobs.redis_queue import ArqJobs
from app.jobs.wiring import arq_jobs, inline_jobs
from tests.jobs.runners import REDIS_URL


async def test_without_redis_the_process_runs_its_jobs(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        plain = settings.model_copy(update={"redis_url": None})
        runner = inline_jobs(db, plain)
        assert isinstance(runner, InlineJobs) and db.jobs is runner
        # It runs the catalogue's jobs against this database with these settings.
        assert (runner.db, runner.settings, runner.specs) == (db, plain, JOBS)
        async with arq_jobs(db, plain):
            assert db.jobs is runner  # no Redis: arq_jobs leaves them be
        await runner.close()
    finally:
        await db.dispose()


async def test_with_redis_jobs_go_to_arq_while_the_block_runs(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    real_create_pool = wiring.create_pool

    async def create_pool(*args: Any, **kwargs: Any) -> ArqRedis:
        pool = await real_create_pool(*args, **kwargs)
        real_aclose = pool.aclose

        async def aclose() -> None:
            closed.append(True)
            await real_aclose()

        monkeypatch.setattr(pool, "aclose", aclose)
        return pool

    monkeypatch.setattr(wiring, "create_pool", create_pool)
    db = Database(settings.database_url)
    try:
        with_redis = settings.model_copy(update={"redis_url": REDIS_URL})
        before = db.jobs
        assert inline_jobs(db, with_redis) is None and db.jobs is before
        async with arq_jobs(db, with_redis):
            assert isinstance(db.jobs, ArqJobs)
            assert await db.jobs.pool.ping()
            assert closed == []
        assert closed == [True]
    finally:
        await db.dispose()
