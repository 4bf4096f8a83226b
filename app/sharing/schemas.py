from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.schemas import Strict
from app.core.types import Count, HttpUrl, OutDatetime
from app.models.enums import Network


class ShareCreate(Strict):
    network: Network
    caption: Annotated[str, Field(max_length=3000)] | None = Field(
        None, description="Your own words (the post's caption when omitted); the "
                          "organisation's disclosure is appended.")


class CanShare(BaseModel):
    allowed: bool
    reason: Literal["policy", "cap"] | None = Field(
        description='Why a new share would be refused now: "policy" (not accepted) or '
                    '"cap" (today\'s limit reached).')


class PolicyAcceptanceCreate(Strict):
    version: Annotated[str, Field(min_length=1, max_length=64)]


class ShareRead(BaseModel):
    id: str
    post_id: str
    code: str
    network: Network
    tracked_url: str = Field(description="CHORUS_BASE_URL + /s/ + code.")
    share_url: str = Field(description="The network's share intent (or the tracked URL).")
    caption: str
    follower_count: int = Field(description="Followers on the network when shared (reach).")
    external_url: str | None
    created_at: OutDatetime


class MyShare(ShareRead):
    clicks: int = Field(description="Clicks (not bots, not your own).")
    unique_clicks: int
    conversions: int


class ExternalUrl(Strict):
    external_url: HttpUrl


class StatsEntry(Strict):
    impressions: Count
    likes: Count
    comments: Count
    reshares: Count


class StatsRead(BaseModel):
    id: str
    share_id: str
    taken_at: OutDatetime
    source: str
    impressions: int
    likes: int
    comments: int
    reshares: int


class StatsImportResult(BaseModel):
    imported: int
