"""``gamification.award_monthly_badges``: the top-3 badge of each finished month."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.core.clock import utcnow
from app.core.db import Database, org_tz
from app.gamification import badges
from app.gamification.periods import Period, local_day, midnight, start_of
from app.jobs.spec import Cron, JobContext, JobSpec
from app.models import PeriodStats, User


async def award_monthly_badges(db: Database, *, now: datetime | None = None) -> list[str]:
    """Idempotent: run daily, it grants the last finished month's top three (ties included,
    points above zero) and nothing more."""
    now = now or utcnow()
    async with db.transaction() as session:
        tz = org_tz(session)
        this_month = start_of(Period.month, local_day(now, tz))
        last_month = start_of(Period.month, this_month - timedelta(days=1))
        ranked = (
            select(PeriodStats.user_id,
                   func.rank().over(order_by=PeriodStats.points.desc()).label("rank"))
            .join(User, User.id == PeriodStats.user_id)
            .where(PeriodStats.period == Period.month.value,
                   PeriodStats.starts_on == last_month, PeriodStats.points > 0,
                   User.deactivated_at.is_(None))
            .subquery())
        winners = list(await session.scalars(select(ranked.c.user_id).where(ranked.c.rank <= 3)))
        await badges.grant(session, "top-3", dict.fromkeys(winners, midnight(this_month, tz)))
    return winners


async def award_monthly_badges_job(ctx: JobContext) -> dict[str, int]:
    return {"awarded": len(await award_monthly_badges(ctx.db))}


JOBS = [JobSpec("award_monthly_badges", award_monthly_badges_job)]
CRONS = [Cron("award_monthly_badges", minute=5)]
