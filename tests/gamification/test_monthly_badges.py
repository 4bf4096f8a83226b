"""The ``top-3`` badge (CONTRACT §3): the top three of a finished calendar month in
``CHORUS_TIMEZONE``, ranked as in §5 (equal points share a rank, so a tie at third place
gives the badge to both), active users with points only; earned once, never taken back, never
duplicated, whatever how often the daily job runs.

The badges are read back as their owners see them (``GET /api/v1/me/badges``) and as rows,
never from the job's own return value alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.config import Settings
from app.gamification.jobs import award_monthly_badges
from app.models import User
from tests.builders import Api, Role
from tests.gamification.support import (
    at,
    badge_rows,
    my_badges,
    set_rules,
    share_at,
    zoned_settings,
)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return zoned_settings(db_url, "Asia/Tokyo")  # UTC+9: months start at 15:00Z the day before


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


MAY_ENDS = "2026-05-31T15:00:00Z"  # 1 June 00:00 in Tokyo
APRIL_ENDS = "2026-04-30T15:00:00Z"
JUNE_ENDS = "2026-06-30T15:00:00Z"


async def test_top_three_of_a_finished_month(api: Api) -> None:
    names = ["Aoi", "Ben", "Chie", "Dai", "Emi", "Fumi", "Goro", "Hiro"]
    users: dict[str, User] = {}
    headers: dict[str, dict[str, str]] = {}
    for name in names:
        users[name], headers[name] = await api.user(name=name)
    admin = await api.headers(Role.admin, name="Admin")

    async def shares(name: str, *moments: datetime) -> None:
        for moment in moments:
            await share_at(api.db, users[name], moment)

    mid_may = utc(5, 12, 3)
    # April in Tokyo: Hiro alone, 100 points.
    await shares("Hiro", *[utc(4, 20, 3, n) for n in range(10)])
    # May in Tokyo (10 points a share): Aoi 40, Ben 30, Chie 20, Dai 20, Emi 10, Goro 50.
    await shares("Aoi", *[mid_may + timedelta(minutes=n) for n in range(4)])
    await shares("Ben", *[mid_may + timedelta(minutes=10 + n) for n in range(3)])
    # 30 April 15:30Z is 1 May 00:30 in Tokyo: May.
    await shares("Chie", utc(4, 30, 15, 30), mid_may + timedelta(minutes=20))
    await shares("Dai", *[mid_may + timedelta(minutes=30 + n) for n in range(2)])
    await shares("Emi", mid_may + timedelta(minutes=40))
    await shares("Goro", *[mid_may + timedelta(minutes=50 + n) for n in range(5)])
    # 31 May 15:30Z is 1 June 00:30 in Tokyo: June, not May (in UTC Emi would tie Ben).
    await shares("Emi", utc(5, 31, 15, 30), utc(5, 31, 15, 31))
    with at(utc(5, 20, 0)):
        gone = await api.client.delete(f"/api/v1/users/{users['Goro'].id}", headers=admin)
    assert gone.status_code == 204

    async def top_three() -> dict[str, str]:
        """Whose badges hold ``top-3``, as each active user sees them: name → earned_at."""
        held = {}
        for name in names:
            if name == "Goro":
                continue
            mine = [b for b in await my_badges(api, headers[name]) if b[0] == "top-3"]
            assert len(mine) <= 1
            if mine:
                assert mine[0][1] == "Top three of the month"
                held[name] = mine[0][2]
        return held

    def ids(*who: str) -> list[str]:
        return sorted(users[n].id for n in who)

    # 31 May 23:59 in Tokyo: May is not over; April is, and Hiro led it.
    assert sorted(await award_monthly_badges(api.db, now=utc(5, 31, 14, 59))) == ids("Hiro")
    assert await top_three() == {"Hiro": APRIL_ENDS}
    # 1 June 00:00 in Tokyo (still 31 May in UTC): May is over. Chie and Dai tie at third
    # (40, 30, 20, 20: ranks 1, 2, 3, 3); Emi is fifth; Goro, deactivated, ranks nobody out.
    assert sorted(await award_monthly_badges(api.db, now=utc(5, 31, 15))) == ids(
        "Aoi", "Ben", "Chie", "Dai")
    may = {"Hiro": APRIL_ENDS, "Aoi": MAY_ENDS, "Ben": MAY_ENDS, "Chie": MAY_ENDS,
           "Dai": MAY_ENDS}
    assert await top_three() == may
    # The job runs daily: the next days grant nothing new and duplicate nothing.
    for day in (1, 2, 15):
        await award_monthly_badges(api.db, now=utc(6, day, 0))
    assert await top_three() == may
    rows = await badge_rows(api.db, "top-3")
    assert [u for u, _, _ in rows] == ids("Hiro", "Aoi", "Ben", "Chie", "Dai")

    # June in Tokyo: Emi 20 (the two shares above), Aoi 10, and Fumi shares under a rule
    # worth 0 points: a zero total never wins, even with fewer than three ahead.
    await shares("Aoi", utc(6, 10, 3))
    await set_rules(api, admin, utc(6, 11, 0), share_created=0)
    await shares("Fumi", utc(6, 12, 3))
    assert sorted(await award_monthly_badges(api.db, now=utc(6, 30, 15))) == ids("Aoi", "Emi")
    # Emi earns it now; Aoi keeps May's (a badge is earned once); Fumi gets none.
    assert await top_three() == {**may, "Emi": JUNE_ENDS}
    assert len(await badge_rows(api.db, "top-3")) == 6
