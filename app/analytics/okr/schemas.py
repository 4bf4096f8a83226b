from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from app.core.schemas import Strict
from app.core.types import Day, Id, OutDatetime, check_span

Metric = Literal[
    "enrolled", "active_advocates", "participation_rate", "posts_published", "shares",
    "share_rate", "clicks", "unique_clicks", "clicks_per_share", "conversions", "revenue",
    "conversion_rate", "reach", "impressions", "engagements", "engagement_rate", "emv",
    "feedback_score", "enps",
]
Number = Annotated[Decimal, Field(max_digits=24, decimal_places=8, allow_inf_nan=False)]
Title = Annotated[str, Field(min_length=1, max_length=300)]


class KeyResultIn(Strict):
    title: Title
    metric: Metric = Field(description="A KPI name of CONTRACT §6.")
    target: Number
    baseline: Number = Decimal(0)


class ObjectiveCreate(Strict):
    title: Title
    starts_on: Day
    ends_on: Day
    pilot_id: Id | None = None
    key_results: list[KeyResultIn] = Field(min_length=1, max_length=5)

    @model_validator(mode="after")
    def _dates(self) -> ObjectiveCreate:
        check_span(self.starts_on, self.ends_on)
        return self


class ObjectiveUpdate(Strict):
    title: Title | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    pilot_id: Id | None = None
    key_results: list[KeyResultIn] | None = Field(None, min_length=1, max_length=5)


class KeyResultRead(BaseModel):
    id: str
    title: str
    metric: str
    target: float
    baseline: float
    current: float | None = Field(description="The KPI, live, over the objective's dates.")
    progress: float | None = Field(description="(current − baseline) / (target − baseline), "
                                               "clamped to [0, 1].")


class ObjectiveRead(BaseModel):
    id: str
    title: str
    starts_on: date
    ends_on: date
    pilot_id: str | None
    key_results: list[KeyResultRead]
    created_at: OutDatetime
