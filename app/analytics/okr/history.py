"""A key result's weekly history: per ISO week of ``CHORUS_TIMEZONE``, the last value recorded
in it, a live key result's daily samples or a manual one's check-ins."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.analytics.okr.schemas import WeekValue
from app.analytics.okr.values import number
from app.gamification.periods import Period, local_day, start_of
from app.models import CheckIn, KeyResultSample


def weekly(entries: Iterable[tuple[date, datetime, str | None]]) -> list[WeekValue]:
    """``entries`` are (local day, recorded at, value); the latest of each week wins, by day
    and then by the time it was recorded."""
    last: dict[date, tuple[date, datetime, str | None]] = {}
    for entry in entries:
        week = start_of(Period.week, entry[0])
        if week not in last or entry[:2] >= last[week][:2]:
            last[week] = entry
    return [WeekValue(week_start=week, value=number(last[week][2])) for week in sorted(last)]


def of_samples(samples: Iterable[KeyResultSample]) -> list[WeekValue]:
    return weekly((s.sampled_on, s.created_at, s.value) for s in samples)


def of_check_ins(check_ins: Iterable[CheckIn], tz: ZoneInfo) -> list[WeekValue]:
    """A check-in belongs to the week of its local date."""
    return weekly((local_day(c.created_at, tz), c.created_at, c.value)
                  for c in check_ins if c.value is not None)
