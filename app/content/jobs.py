"""Background work of the content domain."""

from __future__ import annotations

import logging

from app.content import publisher
from app.core.db import Database
from app.jobs.spec import Cron, JobContext, JobSpec

log = logging.getLogger("chorus.jobs")


async def publish_due(db: Database) -> list[str]:
    """``content.publish_due``: the publisher of §7, in its own unit of work."""
    async with db.transaction() as session:
        published = [p.id for p in await publisher.run(session)]
    if published:
        log.info("published due posts", extra={"count": len(published)})
    return published


async def publish_due_job(ctx: JobContext) -> dict[str, int]:
    return {"published": len(await publish_due(ctx.db))}


JOBS = [JobSpec("publish_due", publish_due_job, timeout=120)]
CRONS = [Cron("publish_due", run_at_startup=True)]
