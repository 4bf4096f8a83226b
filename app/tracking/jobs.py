"""``rotate_salt`` (CONTRACT §4, §9): a new visitor-hash salt each UTC day, the old one
destroyed, with the hashes only it could have made."""

from __future__ import annotations

from sqlalchemy import delete

from app.core.clock import utcnow
from app.jobs.spec import Cron, JobContext, JobSpec
from app.models import AdvocateVisitor, UniqueVisit
from app.tracking.visitors import rotate


async def rotate_salt(ctx: JobContext) -> dict[str, str]:
    today = utcnow().date()
    async with ctx.db.transaction() as session:
        await rotate(session, today)
        # Yesterday's hashes can no longer be matched by anyone: keep no trace of them.
        await session.execute(delete(UniqueVisit).where(UniqueVisit.day < today))
        await session.execute(delete(AdvocateVisitor).where(AdvocateVisitor.day < today))
    return {"day": today.isoformat()}


JOBS = [JobSpec("rotate_salt", rotate_salt)]
CRONS = [Cron("rotate_salt", minute=0, hour=0, run_at_startup=True)]
