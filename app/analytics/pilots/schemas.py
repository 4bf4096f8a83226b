from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from app.conversions.schemas import Money
from app.core.schemas import Strict
from app.core.types import Count, Day, Id, Name, OutDatetime, Text, check_span

MIN_PILOT_DAYS = 28
COST = ("The whole program's cost (licence, rewards, time), a decimal in the EMV settings' "
        "currency, not prorated: what `roi` weighs the returns against.")


class Baseline(Strict):
    paid_visits: Count = Field(description="Visits bought through paid channels.")
    paid_conversions: Count = Field(description="Conversions among those visits.")

    @model_validator(mode="after")
    def _conversions_fit(self) -> Baseline:
        if self.paid_conversions > self.paid_visits:
            raise ValueError("paid_conversions cannot exceed paid_visits")
        return self


class PilotCreate(Strict):
    name: Name
    starts_on: Day
    ends_on: Day
    group_ids: list[Id] = Field(default_factory=list, max_length=200)
    user_ids: list[Id] = Field(default_factory=list, max_length=10_000)
    baseline: Baseline | None = None
    cost: Money | None = Field(None, description=COST)

    @model_validator(mode="after")
    def _dates(self) -> PilotCreate:
        check_span(self.starts_on, self.ends_on)
        return self


class PilotUpdate(Strict):
    name: Name | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    group_ids: list[Id] | None = Field(None, max_length=200)
    user_ids: list[Id] | None = Field(None, max_length=10_000)
    baseline: Baseline | None = None
    cost: Money | None = Field(None, description=COST + " Null clears it.")


class PilotRead(BaseModel):
    id: str
    name: str
    starts_on: Day
    ends_on: Day
    group_ids: list[str]
    user_ids: list[str]
    baseline: Baseline | None
    cost: str | None = Field(description=COST)
    warnings: list[str] = Field(description="E.g. a pilot shorter than four weeks.")
    created_at: OutDatetime


class MyPilot(BaseModel):
    id: str
    name: str
    starts_on: Day
    ends_on: Day
    feedback_given_this_week: bool = Field(
        description="Whether you gave this ISO week's feedback (one per week).")


class FeedbackCreate(Strict):
    score: Annotated[int, Field(ge=0, le=10, description="How likely to recommend, 0–10.")]
    comment: Text | None = None


class FeedbackRead(BaseModel):
    id: str
    pilot_id: str
    user_id: str
    week_starts_on: date
    score: int
    comment: str | None
    created_at: OutDatetime
