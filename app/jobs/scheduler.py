"""The in-process scheduler used by ``chorus serve`` when no Redis is configured: the crons
of ``app.jobs.catalog``, checked at the start of every UTC minute, sent to the in-process
runner (the same job functions arq runs with Redis)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime

from app.core.clock import utcnow
from app.jobs.spec import Cron, Enqueuer

log = logging.getLogger("chorus.jobs")


class InProcessScheduler:
    def __init__(self, jobs: Enqueuer, crons: Sequence[Cron]) -> None:
        self.jobs = jobs
        self.crons = list(crons)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="chorus-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self, when: datetime, *, startup: bool = False) -> list[str]:
        """Enqueue the jobs due in the minute starting at ``when`` (and, at start-up, the
        ones that run at start-up); returns their names."""
        due = [c.job for c in self.crons if c.matches(when) or (startup and c.run_at_startup)]
        for name in dict.fromkeys(due):
            await self.jobs.enqueue(name)
        return due

    async def _loop(self) -> None:
        startup = True
        while True:
            try:
                await self.tick(utcnow().replace(second=0, microsecond=0), startup=startup)
            except Exception:
                log.exception("the scheduler could not enqueue its jobs")
            startup = False
            now = utcnow()
            await asyncio.sleep(60 - now.second - now.microsecond / 1e6 + 0.01)
