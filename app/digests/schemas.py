"""Request and response bodies of the digests domain (CONTRACT §3 reminders and channels)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.schemas import Strict

Weekday = Annotated[int, Field(ge=1, le=7)]


class ReminderSettings(Strict):
    enabled: bool = Field(True, description="Whether advocates get email digests at all.")
    weekday_digest: Annotated[list[Weekday], Field(min_length=1, max_length=7)] = Field(
        default_factory=lambda: [1],
        description="ISO weekdays (Monday = 1 … Sunday = 7) on which digests go out, in "
                    "CHORUS_TIMEZONE; the channel digest goes out on the first of them.")
    hour: Annotated[int, Field(ge=0, le=23)] = Field(
        9, description="Local hour (0–23, CHORUS_TIMEZONE) at which digests go out.")
    min_new_posts: Annotated[int, Field(ge=1, le=1000)] = Field(
        1, description="An advocate gets a digest only with at least this many new posts "
                       "they can see and have not shared.")

    @field_validator("weekday_digest")
    @classmethod
    def _distinct_days(cls, days: list[int]) -> list[int]:
        return sorted(set(days))


class ChannelKind(StrEnum):
    slack = "slack"
    teams = "teams"


class ChannelCreate(Strict):
    kind: ChannelKind = Field(description="`slack` or `teams` (Microsoft Teams).")
    url: Annotated[str, Field(min_length=1, max_length=2048)] = Field(
        description="The channel's incoming-webhook URL (https); kept encrypted, never shown "
                    "again.")
    name: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="What admins call the channel, such as '#marketing'.")

    @field_validator("name", "url")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class ChannelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: ChannelKind
    name: str
    host: str = Field(description="The webhook URL's host; the URL itself is a secret.")
    created_at: datetime
    last_sent_at: datetime | None = Field(description="When the last digest was delivered.")
    last_error: str | None = Field(
        description="Why the last delivery failed; null after a success.")
