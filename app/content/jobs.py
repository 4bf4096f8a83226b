"""Background work of the content domain."""

from __future__ import annotations

import logging

from app.content import preview, publisher
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


JOBS = [
    JobSpec("publish_due", publish_due_job, timeout=120),
    JobSpec("fetch_preview", preview.fetch_preview, timeout=30, max_tries=preview.RETRIES),
    JobSpec("fetch_missing_previews", preview.fetch_missing_previews),
]
CRONS = [
    Cron("publish_due", run_at_startup=True),
    Cron("fetch_missing_previews", minute=set(range(2, 60, 5)), run_at_startup=True),
]
