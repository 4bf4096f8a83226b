"""When digests are due: the digest weekdays and hour in the organisation's zone, from the
hour to the end of that local day, one period per local date (emails) or ISO week
(channels)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.digests.schedule import channel_period, reminder_period
from app.digests.schemas import ReminderSettings

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_AND_THURSDAY_AT_8 = ReminderSettings(weekday_digest=[4, 1], hour=8)


@pytest.mark.parametrize(("utc", "expected"), [
    (datetime(2026, 12, 7, 6, 59, tzinfo=UTC), None),  # Monday 07:59 in Berlin (UTC+1)
    (datetime(2026, 12, 7, 7, 0, tzinfo=UTC), "2026-12-07"),  # Monday 08:00
    (datetime(2026, 12, 7, 22, 59, tzinfo=UTC), "2026-12-07"),  # Monday 23:59: catching up
    (datetime(2026, 12, 7, 23, 0, tzinfo=UTC), None),  # Tuesday 00:00
    (datetime(2026, 12, 10, 7, 0, tzinfo=UTC), "2026-12-10"),  # Thursday 08:00
    (datetime(2026, 12, 13, 7, 0, tzinfo=UTC), None),  # Sunday
    (datetime(2026, 7, 6, 5, 59, tzinfo=UTC), None),  # summer (UTC+2): Monday 07:59
    (datetime(2026, 7, 6, 6, 0, tzinfo=UTC), "2026-07-06"),  # Monday 08:00 summer time
])
def test_email_digests_are_due_from_the_local_hour_of_each_digest_weekday(
        utc: datetime, expected: str | None) -> None:
    assert reminder_period(utc, BERLIN, MONDAY_AND_THURSDAY_AT_8) == expected


def test_no_email_digest_is_due_while_reminders_are_off() -> None:
    off = ReminderSettings(enabled=False, weekday_digest=[1], hour=8)

    assert reminder_period(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), BERLIN, off) is None


@pytest.mark.parametrize(("utc", "expected"), [
    (datetime(2026, 12, 7, 6, 59, tzinfo=UTC), None),
    (datetime(2026, 12, 7, 7, 0, tzinfo=UTC), "2026-W50"),
    (datetime(2026, 12, 10, 7, 0, tzinfo=UTC), None),  # Thursday is not the first weekday
    (datetime(2026, 12, 28, 7, 0, tzinfo=UTC), "2026-W53"),
    (datetime(2027, 1, 4, 7, 0, tzinfo=UTC), "2027-W01"),
])
def test_the_channel_digest_is_due_once_a_week_on_the_first_digest_weekday(
        utc: datetime, expected: str | None) -> None:
    assert channel_period(utc, BERLIN, MONDAY_AND_THURSDAY_AT_8) == expected


def test_the_channel_digest_does_not_follow_the_email_switch() -> None:
    off = ReminderSettings(enabled=False, weekday_digest=[1], hour=8)

    assert channel_period(datetime(2026, 12, 7, 7, 0, tzinfo=UTC), BERLIN, off) == "2026-W50"
