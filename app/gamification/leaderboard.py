"""Leaderboards from the per-period totals: indexed reads of a page, whatever the click
volume and however many users there are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import org_tz
from app.gamification.badges import NAMES
from app.gamification.periods import Period, Window, window
from app.gamification.schemas import BadgeRead, MyStats, Standing, UserRef
from app.models import Badge, PeriodStats, User, user_groups


def _listed() -> ColumnElement[bool]:
    """Who appears on public leaderboards: active users who did not opt out."""
    return and_(User.deactivated_at.is_(None), User.leaderboard_opt_out.is_(False))


def _in_period(win: Window) -> ColumnElement[bool]:
    return and_(PeriodStats.period == win.period.value, PeriodStats.starts_on == win.starts_on)


def _in_group(group_id: str) -> ColumnElement[bool]:
    return exists().where(user_groups.c.user_id == User.id, user_groups.c.group_id == group_id)


async def standings(session: AsyncSession, *, period: Period, now: datetime,
                    group_id: str | None, limit: int) -> tuple[Window, list[Standing]]:
    """Every active, not opted-out user, zero points included, by rank, then name, then id.

    Never ranks every user. The users with points come first, read in points order from
    ``ix_period_stats_period_points`` until the page is full (ties sorted by name and id on
    the way); the page always starts at rank 1, so each rank is one plus the number of
    rows above it with more points. Only when the page runs past them are users without
    points read (by name, then id), all sharing the next rank. Points are never negative
    (the rules award 0 or more), so a total of 0 belongs with those who have no row. As
    points only grow, the two reads never list a user twice.
    """
    win = window(period, now, org_tz(session))
    scored = (
        select(User.id, User.name, PeriodStats.points, PeriodStats.shares, PeriodStats.clicks,
               PeriodStats.conversions)
        .join(User, User.id == PeriodStats.user_id)
        .where(_in_period(win), PeriodStats.points > 0, _listed())
        .order_by(PeriodStats.points.desc(), User.name, User.id)
        .limit(limit)
    )
    if group_id is not None:
        scored = scored.where(_in_group(group_id))
    items: list[Standing] = []
    for row in await session.execute(scored):
        tied = bool(items) and items[-1].points == row.points
        items.append(Standing(
            rank=items[-1].rank if tied else len(items) + 1,
            user=UserRef(id=row.id, name=row.name), points=row.points, shares=row.shares,
            clicks=row.clicks, conversions=row.conversions))
    if len(items) == limit:
        return win, items
    unscored = (
        select(User.id, User.name, func.coalesce(PeriodStats.shares, 0).label("shares"),
               func.coalesce(PeriodStats.clicks, 0).label("clicks"),
               func.coalesce(PeriodStats.conversions, 0).label("conversions"))
        .outerjoin(PeriodStats, and_(PeriodStats.user_id == User.id, _in_period(win)))
        .where(_listed(), func.coalesce(PeriodStats.points, 0) <= 0)
        .order_by(User.name, User.id)
        .limit(limit - len(items))
    )
    if group_id is not None:
        unscored = unscored.where(_in_group(group_id))
    rank = len(items) + 1  # every listed user with points is on the page already
    items += [Standing(rank=rank, user=UserRef(id=row.id, name=row.name), points=0,
                       shares=row.shares, clicks=row.clicks, conversions=row.conversions)
              for row in await session.execute(unscored)]
    return win, items


async def my_stats(session: AsyncSession, *, user: User, period: Period,
                   now: datetime) -> MyStats:
    """The caller's totals and rank, as if listed even when opted out.

    The rank is one plus the number of listed users with more points: every row of the
    period above the caller's points, counted in ``ix_period_stats_period_points`` alone,
    less the unlisted users (deactivated or opted out, a few) among them.
    """
    win = window(period, now, org_tz(session))
    mine = await session.scalar(select(PeriodStats).where(
        PeriodStats.user_id == user.id, _in_period(win)))
    my_points = mine.points if mine else 0
    above = (select(func.count()).select_from(PeriodStats)
             .where(_in_period(win), PeriodStats.points > my_points).scalar_subquery())
    their_points = (select(PeriodStats.points)
                    .where(PeriodStats.user_id == User.id, _in_period(win))
                    .scalar_subquery())
    unlisted_above = (select(func.count()).select_from(User)
                      .where(not_(_listed()), their_points > my_points).scalar_subquery())
    ahead = await session.scalar(select(above - unlisted_above))
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
