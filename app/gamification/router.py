"""Leaderboards, the caller's standing and badges, and the point rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.access import AdminOnly, CurrentUser, SignedIn
from app.core.clock import utcnow
from app.core.pagination import Page
from app.core.routing import ChorusRoute, DbSession
from app.gamification import leaderboard as leaderboard_service
from app.gamification.periods import Period
from app.gamification.rules import PointRules, point_rules, save_point_rules
from app.gamification.schemas import BadgeRead, Leaderboard, MyStats

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute, tags=["gamification"])


@router.get("/leaderboard", response_model=Leaderboard)
async def leaderboard(
    _caller: SignedIn, session: DbSession, period: Period = Period.week,
    group_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Leaderboard:
    """Ranks for the organisation's current week, month, quarter or all time."""
    win, items = await leaderboard_service.standings(session, period=period, now=utcnow(),
                                                     group_id=group_id, limit=limit)
    return Leaderboard(period=period, starts_at=win.starts_at, ends_at=win.ends_at, items=items)


@router.get("/me/stats", response_model=MyStats)
async def my_stats(user: CurrentUser, session: DbSession,
                   period: Period = Period.week) -> MyStats:
    """Your points, shares, clicks, conversions and rank (even when you opted out)."""
    return await leaderboard_service.my_stats(session, user=user, period=period, now=utcnow())


@router.get("/me/badges", response_model=Page[BadgeRead])
async def my_badges(user: CurrentUser, session: DbSession) -> Page[BadgeRead]:
    """The badges you earned (a handful at most: one page)."""
    return Page(items=await leaderboard_service.my_badges(session, user=user), next_cursor=None)


@router.get("/settings/points", response_model=PointRules, tags=["settings"])
async def read_point_rules(_admin: AdminOnly, session: DbSession) -> PointRules:
    """The point rules in force now."""
    return (await point_rules(session)).at(utcnow())


@router.put("/settings/points", response_model=PointRules, tags=["settings"])
async def write_point_rules(body: PointRules, _admin: AdminOnly,
                            session: DbSession) -> PointRules:
    """Change the point rules; events from now on use them, past points stay."""
    return await save_point_rules(session, body)
