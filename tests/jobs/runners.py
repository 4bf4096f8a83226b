"""Running jobs in tests through both runners of CONTRACT §9: in-process and arq on a real
Redis (CI starts one; an unreachable Redis fails the test, never skips it)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field

from arq.connections import ArqRedis
from arq.worker import Worker

from app.core.config import Settings
from app.core.db import Database
from app.jobs.catalog import JOBS
from app.jobs.inline import InlineJobs
from app.jobs.redis_queue import ArqJobs, worker_functions
from app.jobs.spec import JobContext, JobSpec

REDIS_URL = os.environ.get("CHORUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@dataclass
class JobRunner:
    """Runs a job (and whatever it enqueues) to completion with one runner. While the
    runner is installed, work enqueued after a commit (``db.jobs``) goes to it too, and
    ``settle()`` runs it."""

    kind: str
    db: Database
    settings: Settings
    pool: ArqRedis | None = None
    queue: str = field(default_factory=lambda: f"chorus:test:{uuid.uuid4().hex}")
    inline: InlineJobs | None = None
    specs: dict[str, JobSpec] = field(default_factory=lambda: dict(JOBS))
    """The catalog's jobs, and any a test adds before ``install()``."""

    def install(self) -> None:
        if self.kind == "inline":
            self.inline = InlineJobs(self.db, self.settings, self.specs)
            self.db.jobs = self.inline
        else:
            assert self.pool is not None
            self.db.jobs = ArqJobs(self.pool, self.specs, queue=self.queue)

    def use(self, settings: Settings) -> None:
        """Run the jobs with these settings from now on."""
        self.settings = settings
        if self.inline is not None:
            self.inline.settings = settings

    async def run(self, name: str, *args: str) -> None:
        await self.db.jobs.enqueue(name, *args)
        await self.settle()

    async def settle(self) -> None:
        """Run everything enqueued so far, and what that enqueues, until nothing is left
        (deferred jobs included: keep defers short in tests)."""
        if self.inline is not None:
            await self.inline.drain()
            return
        assert self.pool is not None
        functions = worker_functions(list(self.specs.values()))
        worker = Worker(functions=list(functions.values()), redis_pool=self.pool,
                        queue_name=self.queue, burst=True, handle_signals=False,
                        ctx={"chorus": JobContext(db=self.db, settings=self.settings,
                                                  jobs=self.db.jobs)},
                        poll_delay=0.02, max_jobs=20, keep_result=0)
        await worker.main()

    async def close(self) -> None:
        if self.inline is not None:
            await self.inline.close()
