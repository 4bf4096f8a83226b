"""The report range a manager picks in a dashboard page's GET form (``?from=&to=``).

Empty fields take the page's default: the pilot's own dates, as the API does
(``kpi_service.resolve_range``), or for the organisation the last four full ISO weeks. What the
API would answer 422 comes back as an ``error`` the page explains instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from app.analytics.kpi import service as kpi_service
from app.core.errors import Invalid
from app.core.types import MAX_SPAN_DAYS
from app.gamification.periods import Period, start_of
from app.models import Pilot

EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)  # the API's Day bounds
DEFAULT_WEEKS = 4


class RangeError(StrEnum):
    not_a_date = "not_a_date"
    order = "order"  # from ≥ to
    too_long = "too_long"


@dataclass(frozen=True)
class ChosenRange:
    """What the form shows (the raw text) and, when it is valid, the range [start, end)."""

    raw_from: str
    raw_to: str
    start: date | None
    end: date | None
    error: RangeError | None = None
    max_days: int = MAX_SPAN_DAYS

    @property
    def custom(self) -> bool:
        return bool(self.raw_from or self.raw_to)

    @property
    def last(self) -> date | None:
        """The range's last day (``end`` is the day after it)."""
        return None if self.end is None else self.end - timedelta(days=1)


def _day(raw: str) -> date | None:
    value = date.fromisoformat(raw)  # ValueError when it is not YYYY-MM-DD
    if not EARLIEST <= value <= LATEST:
        raise ValueError(raw)
    return value


def last_full_weeks(today: date, weeks: int = DEFAULT_WEEKS) -> tuple[date, date]:
    """``[start, end)``: the ``weeks`` ISO weeks (Monday first) before the one holding today."""
    end = start_of(Period.week, today)
    return end - timedelta(days=7 * weeks), end


def choose(pilot: Pilot, raw_from: str | None, raw_to: str | None) -> ChosenRange:
    return choose_between(pilot.starts_on, pilot.ends_on + timedelta(days=1), raw_from, raw_to)


def choose_between(default_start: date, default_end: date, raw_from: str | None,
                   raw_to: str | None) -> ChosenRange:
    """The typed range, an empty field taking ``default_start`` or ``default_end``."""
    text_from, text_to = (raw_from or "").strip(), (raw_to or "").strip()
    try:
        start = _day(text_from) if text_from else None
        end = _day(text_to) if text_to else None
    except ValueError:
        return ChosenRange(text_from, text_to, None, None, RangeError.not_a_date)
    start, end = start or default_start, end or default_end
    try:
        kpi_service.check_range(start, end)
    except Invalid:
        error = RangeError.order if start >= end else RangeError.too_long
        return ChosenRange(text_from, text_to, None, None, error)
    return ChosenRange(text_from, text_to, start, end)
