"""The in-process scheduler used by ``chorus serve`` when no Redis is configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from app.content.jobs import publish_due
from app.core.config import Settings
from app.core.db import Database

log = logging.getLogger("chorus.jobs")

Job = Callable[[Database], Awaitable[object]]


class InProcessScheduler:
    """Runs periodic jobs on the minute, one at a time, logging failures and carrying on."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.every_minute: list[Job] = [publish_due]
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="chorus-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self) -> None:
        for job in self.every_minute:
            try:
                await job(self.db)
            except Exception:
                log.exception("job failed", extra={"job": job.__name__})

    async def _loop(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(60 - time.time() % 60)
