from __future__ import annotations

from pydantic import BaseModel, Field

from app.core.types import OutDatetime
from app.gamification.periods import Period


class UserRef(BaseModel):
    id: str
    name: str


class Standing(BaseModel):
    rank: int = Field(description="Equal points share a rank: 1, 2, 2, 4.")
    user: UserRef
    points: int
    shares: int
    clicks: int = Field(description="Clicks on the user's shares: not bots, not their own.")
    conversions: int


class Leaderboard(BaseModel):
    period: Period
    starts_at: OutDatetime | None = Field(description="Null for all time.")
    ends_at: OutDatetime | None
    items: list[Standing]


class MyStats(Standing):
    period: Period
    starts_at: OutDatetime | None
    ends_at: OutDatetime | None


class BadgeRead(BaseModel):
    key: str
    name: str
    earned_at: OutDatetime
