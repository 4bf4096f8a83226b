"""Jobs on arq with Redis: the enqueuer used by ``chorus serve`` when ``CHORUS_REDIS_URL``
is set, and the functions and crons ``chorus worker`` runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from arq import Retry, cron
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.cron import CronJob
from arq.worker import Function, func

from app.jobs.runs import run_job
from app.jobs.spec import Cron, JobContext, JobSpec, RetryLater

log = logging.getLogger("chorus.jobs")

QUEUE = "chorus:jobs"


RERUN_AFTER = 2.0
"""Seconds after which a unique job asked for while it ran runs once more."""
AGAIN = ":again"
"""The job id of that rerun: its job's id and this."""


class ArqJobs:
    def __init__(self, pool: ArqRedis, specs: Mapping[str, JobSpec], *,
                 queue: str = QUEUE) -> None:
        self.pool = pool
        self.specs = specs
        self.queue = queue

    async def enqueue(self, name: str, *args: str, defer: float | None = None) -> None:
        spec = self.specs[name]
        # A unique job already queued is not queued twice (arq refuses the same job id);
        # it reads the database when it runs, so it sees what this request changed.
        job_id = spec.key(args) if spec.unique and defer is None else None
        try:
            job = await self.pool.enqueue_job(name, *args, _job_id=job_id,
                                              _queue_name=self.queue, _defer_by=defer)
            if job is None and job_id is not None and await self.pool.exists(
                    in_progress_key_prefix + job_id):
                # Refused because it is running now, maybe past what this request changed:
                # it runs once more a little later (one rerun, however many ask meanwhile).
                await self.pool.enqueue_job(name, *args, _job_id=job_id + AGAIN,
                                            _queue_name=self.queue, _defer_by=RERUN_AFTER)
        except Exception:
            # Redis is down: the job's sweep finds the work once it is back.
            log.exception("could not enqueue a job", extra={"job": name})


def context_of(ctx: dict[str, Any]) -> JobContext:
    chorus: JobContext = ctx["chorus"]
    return JobContext(db=chorus.db, settings=chorus.settings, jobs=chorus.jobs,
                      attempt=int(ctx.get("job_try") or 1))


async def _after_the_first(ctx: dict[str, Any], spec: JobSpec) -> None:
    """A rerun waits for the run it follows to end, so that a unique job never runs beside
    itself (jobs are safe to run twice at once, so after half its time limit it goes on)."""
    job_id = str(ctx.get("job_id") or "")
    if not job_id.endswith(AGAIN):
        return
    first = in_progress_key_prefix + job_id.removesuffix(AGAIN)
    redis: ArqRedis = ctx["redis"]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(spec.timeout / 2):
            while await redis.exists(first):
                await asyncio.sleep(0.05)


def arq_function(spec: JobSpec) -> Function:
    async def run(ctx: dict[str, Any], *args: str) -> Any:
        await _after_the_first(ctx, spec)
        try:
            return await run_job(spec, context_of(ctx), tuple(args), runner="arq")
        except RetryLater as retry:
            raise Retry(defer=retry.seconds) from retry

    run.__qualname__ = run.__name__ = spec.name
    return func(run, name=spec.name, keep_result=0, timeout=spec.timeout,
                max_tries=spec.max_tries)


def arq_cron(schedule: Cron, functions: Mapping[str, Function]) -> CronJob:
    weekday = schedule.weekday
    if weekday is not None:  # arq counts Monday as 0
        weekday = {weekday - 1} if isinstance(weekday, int) else {d - 1 for d in weekday}
    return cron(functions[schedule.job].coroutine, name=f"cron:{schedule.job}",
                minute=schedule.minute, hour=schedule.hour,
                weekday=weekday, second=0, unique=True, run_at_startup=schedule.run_at_startup,
                keep_result=0)


def worker_functions(specs: Sequence[JobSpec]) -> dict[str, Function]:
    return {spec.name: arq_function(spec) for spec in specs}
