"""/app/me: the viewer's standing for a period, their badges and their points history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.gamification import leaderboard as leaderboard_service
from app.gamification.history import HistoryLine, points_history
from app.gamification.periods import Period
from app.gamification.schemas import BadgeRead, MyStats
from app.models import User

HISTORY_PAGE = 20


@dataclass(frozen=True)
class MeView:
    stats: MyStats
    badges: list[BadgeRead]  # newest first
    history: list[HistoryLine]
    next_cursor: str | None

    @property
    def days(self) -> tuple[datetime, datetime] | None:
        """The period's first and last instants (None for all time), for showing its days."""
        if self.stats.starts_at is None or self.stats.ends_at is None:
            return None
        return self.stats.starts_at, self.stats.ends_at - timedelta(microseconds=1)


async def me_view(session: AsyncSession, *, user: User, period: Period,
                  cursor: str | None) -> MeView:
    stats = await leaderboard_service.my_stats(session, user=user, period=period, now=utcnow())
    badges = await leaderboard_service.my_badges(session, user=user)
    history, next_cursor = await points_history(session, user_id=user.id, limit=HISTORY_PAGE,
                                                cursor=cursor)
    return MeView(stats=stats, badges=list(reversed(badges)), history=history,
                  next_cursor=next_cursor)
