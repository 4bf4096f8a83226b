"""Which period a scheduled report covers: the last full ISO week or calendar month before a
local day, and its key (``2026-W48``, ``2026-11``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.analytics.reports.schemas import Cadence


@dataclass(frozen=True)
class ReportPeriod:
    key: str
    start: date
    end: date  # exclusive, like a KPI range's `to`


def last_full(cadence: Cadence, today: date) -> ReportPeriod:
    if cadence is Cadence.weekly:
        this_monday = today - timedelta(days=today.isoweekday() - 1)
        start = this_monday - timedelta(days=7)
        year, week, _ = start.isocalendar()
        return ReportPeriod(f"{year}-W{week:02d}", start, this_monday)
    end = today.replace(day=1)
    start = (end - timedelta(days=1)).replace(day=1)
    return ReportPeriod(f"{start.year}-{start.month:02d}", start, end)
