"""/app/leaderboard: the ranks of a period, for everyone or one group, with the viewer's own
rank even when they are not listed (opted out, or beyond the page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import groups as groups_service
from app.auth import users as users_service
from app.core.clock import utcnow
from app.core.errors import NotFound
from app.gamification import leaderboard as leaderboard_service
from app.gamification.periods import Period
from app.gamification.schemas import MyStats, Standing
from app.models import Group, User

BOARD_SIZE = 50
MAX_GROUPS = 200


@dataclass(frozen=True)
class BoardView:
    period: Period
    group_id: str | None
    groups: list[Group]  # the viewer's own groups first
    standings: list[Standing]
    mine: MyStats
    listed: bool  # whether the viewer's row is in the table
    starts_at: datetime | None
    ends_at: datetime | None


async def board_view(session: AsyncSession, *, user: User, period: Period,
                     group_id: str | None) -> BoardView:
    groups, _ = await groups_service.list_groups(session, limit=MAX_GROUPS, cursor=None)
    if group_id is not None and group_id not in {g.id for g in groups}:
        raise NotFound("No such group.")
    mine_ids, _ = await users_service.memberships(session, [user.id])
    own = set(mine_ids[user.id])
    now = utcnow()
    window, standings = await leaderboard_service.standings(
        session, period=period, now=now, group_id=group_id, limit=BOARD_SIZE)
    mine = await leaderboard_service.my_stats(session, user=user, period=period, now=now)
    return BoardView(
        period=period, group_id=group_id,
        groups=[g for g in groups if g.id in own] + [g for g in groups if g.id not in own],
        standings=standings, mine=mine, listed=any(s.user.id == user.id for s in standings),
        starts_at=window.starts_at, ends_at=window.ends_at)
