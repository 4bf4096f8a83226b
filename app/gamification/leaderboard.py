"""Leaderboards from the per-period totals: one indexed read, whatever the click volume."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Subquery, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import org_tz
from app.gamification.badges import NAMES
from app.gamification.periods import Period, Window, window
from app.gamification.schemas import BadgeRead, MyStats, Standing, UserRef
from app.models import Badge, PeriodStats, User, user_groups


def _totals(win: Window) -> Subquery:
    return (select(PeriodStats).where(PeriodStats.period == win.period.value,
                                      PeriodStats.starts_on == win.starts_on).subquery())


async def standings(session: AsyncSession, *, period: Period, now: datetime,
                    group_id: str | None, limit: int) -> tuple[Window, list[Standing]]:
    """Every active, not opted-out user, zero points included, by rank, then name, then id."""
    win = window(period, now, org_tz(session))
    totals = _totals(win)
    points = func.coalesce(totals.c.points, 0)
    listed = (
        select(User.id, User.name, points.label("points"),
               func.coalesce(totals.c.shares, 0).label("shares"),
               func.coalesce(totals.c.clicks, 0).label("clicks"),
               func.coalesce(totals.c.conversions, 0).label("conversions"),
               func.rank().over(order_by=points.desc()).label("rank"))
        .outerjoin(totals, totals.c.user_id == User.id)
        .where(User.deactivated_at.is_(None), User.leaderboard_opt_out.is_(False))
    )
    if group_id is not None:
        listed = listed.where(exists().where(user_groups.c.user_id == User.id,
                                             user_groups.c.group_id == group_id))
    ranked = listed.subquery()
    rows = await session.execute(
        select(ranked).order_by(ranked.c.rank, ranked.c.name, ranked.c.id).limit(limit))
    return win, [
        Standing(rank=r.rank, user=UserRef(id=r.id, name=r.name), points=r.points,
                 shares=r.shares, clicks=r.clicks, conversions=r.conversions)
        for r in rows
    ]


async def my_stats(session: AsyncSession, *, user: User, period: Period,
                   now: datetime) -> MyStats:
    """The caller's totals and rank, as if listed even when opted out."""
    win = window(period, now, org_tz(session))
    mine = await session.scalar(select(PeriodStats).where(
        PeriodStats.user_id == user.id, PeriodStats.period == win.period.value,
        PeriodStats.starts_on == win.starts_on))
    my_points = mine.points if mine else 0
    totals = _totals(win)
    ahead = await session.scalar(
        select(func.count()).select_from(User)
        .outerjoin(totals, totals.c.user_id == User.id)
        .where(User.deactivated_at.is_(None), User.leaderboard_opt_out.is_(False),
               User.id != user.id, func.coalesce(totals.c.points, 0) > literal(my_points)))
    return MyStats(
        period=period, starts_at=win.starts_at, ends_at=win.ends_at, rank=(ahead or 0) + 1,
        user=UserRef(id=user.id, name=user.name), points=my_points,
        shares=mine.shares if mine else 0, clicks=mine.clicks if mine else 0,
        conversions=mine.conversions if mine else 0,
    )


async def my_badges(session: AsyncSession, *, user: User) -> list[BadgeRead]:
    rows = await session.scalars(
        select(Badge).where(Badge.user_id == user.id).order_by(Badge.earned_at, Badge.key))
    return [BadgeRead(key=b.key, name=NAMES.get(b.key, b.key), earned_at=b.earned_at)
            for b in rows]
