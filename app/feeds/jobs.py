"""Background jobs of the feeds domain (CONTRACT §9 ``import_feeds``).

``import_feeds`` runs every minute and asks for a read of each feed that is due: never read
(a feed registered while its first read request was lost), or last read ``EVERY`` ago. So a
feed is read every half hour, feeds spread over the half hour by when they were added, and
a new one within a minute even if the request sent when it was registered never ran.
``import_feed`` reads one feed (see :mod:`app.feeds.importer`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from app.core.clock import utcnow
from app.feeds import importer
from app.jobs.spec import Cron, JobContext, JobSpec
from app.models.feeds import Feed

EVERY = timedelta(minutes=30)
SWEEP_LIMIT = 500


async def import_feed(ctx: JobContext, feed_id: str) -> dict[str, object]:
    """Read one feed now: its new entries become queued posts."""
    return await importer.import_feed(ctx.db, feed_id,
                                      allow_private=ctx.settings.allow_private_webhooks)


async def import_feeds(ctx: JobContext) -> dict[str, int]:
    """Ask for a read of every feed that is due."""
    due_before = utcnow() - EVERY
    async with ctx.db.transaction() as session:
        ids = list(await session.scalars(
            select(Feed.id)
            .where(or_(Feed.last_fetched_at.is_(None), Feed.last_fetched_at <= due_before))
            .order_by(Feed.last_fetched_at.is_not(None), Feed.last_fetched_at, Feed.id)
            .limit(SWEEP_LIMIT)))
    for feed_id in ids:
        await ctx.jobs.enqueue("import_feed", feed_id)
    return {"enqueued": len(ids)}


JOBS: list[JobSpec] = [
    JobSpec("import_feeds", import_feeds, timeout=60),
    # The fetch is bounded (importer.TIMEOUT); the rest is one transaction of inserts.
    JobSpec("import_feed", import_feed, timeout=120),
]
CRONS: list[Cron] = [Cron("import_feeds", run_at_startup=True)]
