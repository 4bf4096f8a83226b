"""The in-process runner: jobs as asyncio tasks inside ``chorus serve`` when no Redis is set.

The same job functions as on arq, with the same rules: a unique job asked for while it runs
runs once more afterwards (never beside itself), ``RetryLater`` runs it again after its
delay up to ``max_tries``, and at most ``concurrency`` jobs run at once. Work that was
queued here when the process stopped is found again by the jobs' sweeps on the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from app.core.config import Settings
from app.core.db import Database
from app.jobs.runs import run_job
from app.jobs.spec import JobContext, JobSpec, RetryLater

log = logging.getLogger("chorus.jobs")


class InlineJobs:
    def __init__(self, db: Database, settings: Settings, specs: Mapping[str, JobSpec], *,
                 concurrency: int = 10) -> None:
        self.db = db
        self.settings = settings
        self.specs = specs
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._running: dict[str, bool] = {}
        """Unique jobs running now, and whether they were asked for again meanwhile."""

    async def enqueue(self, name: str, *args: str, defer: float | None = None) -> None:
        spec = self.specs[name]
        if spec.unique and defer is None:
            key = spec.key(args)
            if key in self._running:
                self._running[key] = True
                return
        task = asyncio.create_task(self._run(spec, args, defer), name=f"job {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, spec: JobSpec, args: tuple[str, ...], defer: float | None) -> None:
        if defer:
            await asyncio.sleep(defer)
        key = spec.key(args) if spec.unique else None
        if key is not None:
            if key in self._running:
                self._running[key] = True
                return
            self._running[key] = False
        try:
            again = True
            while again:
                await self._attempts(spec, args)
                again = key is not None and self._running.get(key, False)
                if key is not None:
                    self._running[key] = False
        finally:
            if key is not None:
                self._running.pop(key, None)

    async def _attempts(self, spec: JobSpec, args: tuple[str, ...]) -> None:
        for attempt in range(1, spec.max_tries + 1):
            ctx = JobContext(db=self.db, settings=self.settings, jobs=self, attempt=attempt)
            try:
                async with self._slots:
                    await asyncio.wait_for(run_job(spec, ctx, args, runner="inline"),
                                           spec.timeout)
                return
            except RetryLater as retry:
                if attempt == spec.max_tries:
                    log.warning("job gave up retrying", extra={"job": spec.name})
                    return
                await asyncio.sleep(retry.seconds)
            except Exception:
                return  # logged and recorded by run_job; its sweep will find the work

    async def drain(self) -> None:
        """Wait until no job is queued or running (tests, and a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
