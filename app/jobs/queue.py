"""Enqueueing jobs: after the unit of work that caused them commits, to this process's runner.

``enqueue_after_commit(session, "fetch_preview", post.id)`` is how a service asks for
background work: nothing is sent if the transaction rolls back, and a job never runs before
the rows it reads are visible. If the process dies between the commit and the enqueue, the
job's sweep (a cron of the same job, or of its sweeper) finds the work in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import after_commit


@dataclass
class NoJobs:
    """The enqueuer of a process that runs no jobs (CLI commands, most tests): it notes
    what it was asked, so tests can check that the work was requested."""

    sent: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    async def enqueue(self, name: str, *args: str, defer: float | None = None) -> None:
        self.sent.append((name, args))


def enqueue_after_commit(session: AsyncSession, name: str, *args: str,
                         defer: float | None = None) -> None:
    """Send job ``name`` with ``args`` to the runner once ``session`` commits."""
    database = session.info["database"]

    async def send() -> None:
        await database.jobs.enqueue(name, *args, defer=defer)

    after_commit(session, send)
