"""Leaderboard periods in the organisation's time zone (CONTRACT §5).

A week starts on Monday 00:00 local time (ISO weeks), a month and a quarter on their first
day. Boundaries are computed on local dates and converted to UTC afterwards, so a week that
contains a daylight-saving change is 167 or 169 hours long, as it should be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

ALL_TIME_START = date(1970, 1, 1)


class Period(StrEnum):
    week = "week"
    month = "month"
    quarter = "quarter"
    all = "all"


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def start_of(period: Period, day: date) -> date:
    match period:
        case Period.week:
            return day - timedelta(days=day.weekday())
        case Period.month:
            return day.replace(day=1)
        case Period.quarter:
            return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        case Period.all:
            return ALL_TIME_START


def next_start(period: Period, start: date) -> date | None:
    match period:
        case Period.week:
            return start + timedelta(days=7)
        case Period.month:
            return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        case Period.quarter:
            month = start.month + 3
            return date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
        case Period.all:
            return None


def midnight(day: date, tz: ZoneInfo) -> datetime:
    """Local 00:00 of ``day`` as an aware datetime (DST-correct)."""
    return datetime.combine(day, time(), tzinfo=tz)


@dataclass(frozen=True)
class Window:
    period: Period
    starts_on: date
    starts_at: datetime | None
    ends_at: datetime | None


def window(period: Period, now: datetime, tz: ZoneInfo) -> Window:
    """The period containing ``now``; all time has no bounds."""
    start = start_of(period, local_day(now, tz))
    end = next_start(period, start)
    if period is Period.all or end is None:
        return Window(period, start, None, None)
    return Window(period, start, midnight(start, tz), midnight(end, tz))


def period_starts(moment: datetime, tz: ZoneInfo) -> dict[Period, date]:
    """The start of every period an event at ``moment`` falls into."""
    return starts_of_day(local_day(moment, tz))


@lru_cache(maxsize=1024)
def starts_of_day(day: date) -> dict[Period, date]:
    """The start of every period a local day falls into (read-only: it is shared)."""
    return {p: start_of(p, day) for p in Period}
