"""Badges (CONTRACT §3): awarded once by the same unique-key mechanism as points."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.core.db import insert_for, table
from app.models import Badge

NAMES = {
    "first-share": "First share",
    "ten-shares": "Ten shares",
    "first-click": "First click",
    "first-conversion": "First conversion",
    "streak-4": "Four-week streak",
    "top-3": "Top three of the month",
    "curator": "Curator",
}


async def grant(session: AsyncSession, key: str, earned: Mapping[str, datetime]) -> None:
    await session.run_sync(grant_now, key, earned)


def grant_now(session: Session, key: str, earned: Mapping[str, datetime]) -> None:
    """Grant ``key`` to each user who lacks it, earned at the given time; a badge is never
    taken back."""
    rows = [{"user_id": u, "key": key, "earned_at": at} for u, at in sorted(earned.items())]
    if rows:
        conn = session.connection()
        conn.execute(_grant(conn.dialect.name), rows)


@lru_cache
def _grant(dialect: str) -> Any:
    return insert_for(dialect)(table(Badge)).on_conflict_do_nothing()
