"""``rotate_salt`` (CONTRACT §4, §9): a new visitor-hash salt each UTC day, the old one
destroyed, and the visits of the days before yesterday with it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from app.core.clock import utcnow
from app.jobs.spec import Cron, JobContext, JobSpec
from app.models import AddressVisit, AdvocateVisitor, UniqueVisit
from app.tracking.visitors import rotate


async def rotate_salt(ctx: JobContext) -> dict[str, str]:
    today = utcnow().date()
    if ctx.db.projector is not None:
        # Yesterday's last clicks are decided with yesterday's visits before those go.
        await ctx.db.projector.catch_up()
    # Visits are kept one day longer than their salt: a click logged just before midnight
    # and projected after this job (a restart runs it first) is still decided against its
    # own day's visits. No address can be linked to them: the salt is gone.
    kept_from = today - timedelta(days=1)
    async with ctx.db.transaction() as session:
        await rotate(session, today)
        await session.execute(delete(UniqueVisit).where(UniqueVisit.day < kept_from))
        await session.execute(delete(AddressVisit).where(AddressVisit.day < kept_from))
        await session.execute(delete(AdvocateVisitor).where(AdvocateVisitor.day < kept_from))
    return {"day": today.isoformat()}


JOBS = [JobSpec("rotate_salt", rotate_salt)]
CRONS = [Cron("rotate_salt", minute=0, hour=0, run_at_startup=True)]
