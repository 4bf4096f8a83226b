from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from app.core.schemas import Strict
from app.core.types import Day, Id, OutDatetime, check_span

Metric = Literal[
    "enrolled", "active_advocates", "participation_rate", "posts_published", "shares",
    "share_rate", "clicks", "unique_clicks", "clicks_per_share", "conversions", "revenue",
    "conversion_rate", "reach", "impressions", "engagements", "engagement_rate", "emv",
    "feedback_score", "enps",
]
"""The numeric KPIs of CONTRACT §6 (not ``top_posts`` or ``conversions_by_type``)."""
Number = Annotated[Decimal, Field(max_digits=24, decimal_places=8, allow_inf_nan=False)]
Title = Annotated[str, Field(min_length=1, max_length=300)]
Note = Annotated[str, Field(max_length=2000)]

MIN_KEY_RESULTS, RECOMMENDED_KEY_RESULTS, MAX_KEY_RESULTS = 1, 3, 5


class KeyResultKind(StrEnum):
    kpi = "kpi"
    manual = "manual"


class Confidence(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"


class KeyResultIn(Strict):
    id: Id | None = Field(None, description="On PATCH, one of the objective's key results to "
                                            "keep (with its check-ins and history).")
    title: Title
    kind: KeyResultKind = KeyResultKind.kpi
    metric: Metric | None = Field(
        None, validate_default=True,
        description="A numeric KPI name of CONTRACT §6; required for `kpi`, absent for `manual`.")
    target: Number
    baseline: Number = Decimal(0)
    unit: str | None = Field(None, min_length=1, max_length=32,
                             description="How the value reads, e.g. `%` or `demos`.")
    due_on: Day | None = Field(None, description="Within the objective's dates; default its "
                                                 "`ends_on`.")

    @field_validator("metric")
    @classmethod
    def _metric_matches_kind(cls, metric: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind is KeyResultKind.kpi and metric is None:
            raise ValueError("a kpi key result needs a metric, one of: "
                             + ", ".join(get_args(Metric)))
        if kind is KeyResultKind.manual and metric is not None:
            raise ValueError("a manual key result has no metric: its value comes from "
                             "check-ins")
        return metric


KeyResults = Annotated[list[KeyResultIn],
                       Field(min_length=MIN_KEY_RESULTS, max_length=MAX_KEY_RESULTS)]


class ObjectiveCreate(Strict):
    title: Title
    starts_on: Day
    ends_on: Day
    pilot_id: Id | None = None
    owner_id: Id | None = Field(None, description="An active user; default the creator.")
    key_results: KeyResults

    @model_validator(mode="after")
    def _dates(self) -> ObjectiveCreate:
        check_span(self.starts_on, self.ends_on)
        return self


class ObjectiveUpdate(Strict):
    title: Title | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    pilot_id: Id | None = None
    owner_id: Id | None = None
    key_results: KeyResults | None = None


class CheckInCreate(Strict):
    key_result_id: Id | None = Field(None, description="One of the objective's key results; "
                                                       "without it, the whole objective.")
    value: Number | None = Field(None, description="A manual key result's new value.")
    confidence: Confidence
    note: Note | None = None

    @model_validator(mode="after")
    def _value_needs_a_key_result(self) -> CheckInCreate:
        if self.value is not None and self.key_result_id is None:
            raise ValueError("a value needs the key_result_id of a manual key result")
        return self


class CheckInRead(BaseModel):
    id: str
    objective_id: str
    key_result_id: str | None
    value: float | None
    confidence: Confidence
    note: str | None
    author_id: str | None
    created_at: OutDatetime


class WeekValue(BaseModel):
    week_start: date = Field(description="The Monday of the ISO week, in CHORUS_TIMEZONE.")
    value: float | None = Field(description="The week's last sample or check-in value.")


class KeyResultRead(BaseModel):
    id: str
    title: str
    kind: KeyResultKind
    metric: str | None
    unit: str | None
    due_on: date = Field(description="The key result's own due date, else the objective's "
                                     "`ends_on`.")
    target: float
    baseline: float
    current: float | None = Field(description="kpi: the KPI, live, over the objective's dates; "
                                              "manual: the latest check-in value.")
    progress: float | None = Field(description="(current − baseline) / (target − baseline), "
                                               "clamped to [0, 1].")
    confidence: Confidence | None = Field(description="Of its latest check-in.")
    history: list[WeekValue] = Field(description="One value per ISO week with a sample or a "
                                                 "check-in value, oldest first.")


class ObjectiveRead(BaseModel):
    id: str
    title: str
    starts_on: date
    ends_on: date
    pilot_id: str | None
    owner_id: str | None
    key_results: list[KeyResultRead]
    score: float | None = Field(description="Once `ends_on` has passed: the mean progress of "
                                            "the key results at their due dates, frozen.")
    scored_at: OutDatetime | None
    latest_check_in: CheckInRead | None
    warnings: list[str]
    created_at: OutDatetime
