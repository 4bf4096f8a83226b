"""Bodies of the report schedules (CONTRACT §3 "report-schedules")."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.schemas import Strict
from app.core.types import Email, Id, OutDatetime

MAX_RECIPIENTS = 50


class Cadence(StrEnum):
    weekly = "weekly"
    monthly = "monthly"


class ReportScheduleCreate(Strict):
    pilot_id: Id | None = Field(None, description="The pilot reported on; none: the "
                                                  "organisation.")
    cadence: Cadence = Field(description="`weekly`: the last full ISO week, sent on Mondays; "
                                         "`monthly`: the last calendar month, sent on the "
                                         "1st.")
    recipients: Annotated[list[Email], Field(min_length=1, max_length=MAX_RECIPIENTS)] = Field(
        description="Email addresses; each gets the report on its own.")

    @field_validator("recipients")
    @classmethod
    def _distinct(cls, recipients: list[str]) -> list[str]:
        return list(dict.fromkeys(recipients))  # already normalised to lower case


class LastSend(BaseModel):
    period: str = Field(description="`2026-W48` or `2026-11`.")
    status: str = Field(description="`sending`, `sent` or `failed`.")
    sent_at: OutDatetime | None
    error: str | None


class ReportScheduleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    pilot_id: str | None
    cadence: Cadence
    recipients: list[str]
    language: str | None = Field(description="The report's language: the scheduling "
                                             "manager's, null for English.")
    created_by: str | None
    created_at: OutDatetime
    last_send: LastSend | None = None

