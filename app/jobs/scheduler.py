"""The in-process scheduler used by ``chorus serve`` when no Redis is configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.content.jobs import publish_due
from app.core.config import Settings
from app.core.db import Database
from app.gamification.jobs import award_monthly_badges

log = logging.getLogger("chorus.jobs")

Job = Callable[[Database], Awaitable[object]]


@dataclass
class Every:
    job: Job
    seconds: int
    last: float = float("-inf")


class InProcessScheduler:
    """Runs periodic jobs on the minute, one at a time, logging failures and carrying on.

    The same job functions run on arq when Redis is configured (``app.jobs.worker``).
    """

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.jobs = [Every(publish_due, 60), Every(award_monthly_badges, 3600)]
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="chorus-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for entry in self.jobs:
            if now - entry.last < entry.seconds - 1:
                continue
            entry.last = now
            try:
                await entry.job(self.db)
            except Exception:
                log.exception("job failed", extra={"job": entry.job.__name__})

    async def _loop(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(60 - time.time() % 60)
