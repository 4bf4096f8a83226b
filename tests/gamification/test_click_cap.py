"""The daily click-points cap (CONTRACT §5): per share and per calendar day in
``CHORUS_TIMEZONE``, never per UTC day, and the last award of a day is cut to what the cap
leaves (3, 3, 1, 0 when a unique click earns 3 and the cap is 7).

The zones are far from UTC, so that a local day and a UTC day split the same clicks
differently; the rules are not the defaults, so that the cap is not a multiple of a click's
points. The first test drives every click through ``GET /s/{code}`` (visitor hashing, salt
days, the click writer); the second builds one batch by hand to reach the writer's
grouping of many clicks of several days at once.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.gamification import service as gamification_service
from app.models import Share
from app.tracking.projection import ClickDraft, write_clicks
from tests.builders import Api, Role, make_user
from tests.gamification.support import (
    Visitors,
    badge_rows,
    click_points,
    ledger,
    me_stats,
    set_rules,
    share_at,
    share_days,
    share_via_api,
    totals,
    zoned_settings,
)


@pytest.fixture
def zone() -> str:
    return "Asia/Tokyo"  # UTC+9 all year


@pytest.fixture
def settings(db_url: str, zone: str) -> Settings:
    return zoned_settings(db_url, zone)


def utc(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def test_the_cap_is_per_tokyo_day_and_cuts_the_last_award(api: Api, app: FastAPI) -> None:
    admin = await api.headers(Role.admin)
    await set_rules(api, admin, utc(3, 0), unique_click=3, unique_click_daily_cap=7)
    advocate, headers = await api.user(name="Kenji")
    # Sunday 3 May, 21:00 in Tokyo.
    share = await share_via_api(api, headers, utc(3, 12))
    visitors = Visitors(app)
    try:
        clicks = [
            # Sunday 3 May in Tokyo (UTC day 3 May): 3 + 3 of the 7.
            ("v1", utc(3, 14, 30)), ("v2", utc(3, 14, 31)),
            # Monday 4 May, 00:00 to 00:04 in Tokyo, still 3 May in UTC: a new local day.
            ("v3", utc(3, 15, 0)), ("v4", utc(3, 15, 1)),
            ("v3", utc(3, 15, 2)),  # the same visitor again: counted, not unique, no points
            ("v5", utc(3, 15, 3)),  # 6 spent: the last 1 of the cap
            ("v6", utc(3, 15, 4)),  # capped
            # Monday 23:59 in Tokyo, 4 May in UTC: still Monday's cap, spent.
            ("v7", utc(4, 14, 59)),
            # Tuesday 5 May 00:00 in Tokyo: a fresh cap (v1 is unique again: a new salt day).
            ("v8", utc(4, 15, 0)), ("v1", utc(4, 15, 1)),
        ]
        for visitor, when in clicks:
            await visitors.click(share["code"], visitor, when)
    finally:
        await visitors.close()
    assert await click_points(api.db, share["id"]) == [3, 3, 3, 3, 0, 1, 0, 0, 3, 3]
    # Local day → (counted clicks, unique clicks, click points spent).
    assert await share_days(api.db, share["id"]) == {
        "2026-05-03": (2, 2, 6), "2026-05-04": (6, 5, 7), "2026-05-05": (2, 2, 6)}
    # Points fall into the local day's periods: the share and Sunday's clicks into the ISO
    # week of Monday 27 April, the rest into the week of Monday 4 May.
    assert await totals(api.db, advocate.id) == {
        ("week", "2026-04-27"): (16, 1, 2, 0), ("week", "2026-05-04"): (13, 0, 8, 0),
        ("month", "2026-05-01"): (29, 1, 10, 0), ("quarter", "2026-04-01"): (29, 1, 10, 0),
        ("all", "1970-01-01"): (29, 1, 10, 0)}
    stats = await me_stats(api, headers, utc(4, 16))  # Tuesday 01:00 in Tokyo
    assert stats == {"period": "week", "starts_at": "2026-05-03T15:00:00Z",
                     "ends_at": "2026-05-10T15:00:00Z", "rank": 1,
                     "user": {"id": advocate.id, "name": "Kenji"}, "points": 13, "shares": 0,
                     "clicks": 8, "conversions": 0}


def _draft(share: Share, visitor: str, when: datetime, n: int) -> ClickDraft:
    return ClickDraft(share_id=share.id, advocate_id=share.user_id, network=share.network,
                      post_id=share.post_id, click_id=f"hand-{share.code}-{n:04d}",
                      occurred_at=when, day=when.astimezone(UTC).date(), visitor_hash=visitor,
                      device="mobile", referrer_host=None, bot=False, session_token_hash=None)


async def _write(api: Api, drafts: list[ClickDraft], now: datetime) -> None:
    async with api.db.transaction() as session:
        await write_clicks(session, drafts, hooks=[gamification_service.award_clicks])


@pytest.mark.parametrize("zone", ["Pacific/Honolulu"])  # UTC−10 all year
async def test_one_batch_across_two_local_days_spends_each_days_cap(api: Api) -> None:
    admin = await api.headers(Role.admin)
    await set_rules(api, admin, utc(1, 0), unique_click=4, unique_click_daily_cap=10)
    async with api.db.transaction() as session:
        advocate = await make_user(session)
    share = await share_at(api.db, advocate, utc(2, 0))
    second = await share_at(api.db, advocate, utc(2, 1))
    # All on 4 May in UTC (one salt day); in Honolulu 09:50Z is Sunday 3 May 23:50 and
    # 10:00Z is Monday 4 May 00:00.
    sunday = [utc(4, 9, 50 + i) for i in range(5)]
    monday = [utc(4, 10, i) for i in range(3)]
    batch = [_draft(share, f"s{i}", t, i) for i, t in enumerate(sunday)]
    batch += [_draft(share, "m0", monday[0], 10), _draft(share, "m1", monday[1], 11),
              _draft(share, "m0", monday[2], 12)]  # m0 again: not unique
    # The other share of the same advocate has its own cap, in the same batch.
    batch += [_draft(second, f"o{i}", utc(4, 11, i), 20 + i) for i in range(3)]
    await _write(api, batch, now=utc(4, 11, 5))
    assert await click_points(api.db, share.id) == [4, 4, 2, 0, 0, 4, 4, 0]
    assert await click_points(api.db, second.id) == [4, 4, 2]
    # A later batch on Monday gets what the cap leaves of Monday (10 − 8), then nothing.
    await _write(api, [_draft(share, f"late{i}", utc(4, 20, i), 30 + i) for i in range(2)],
                 now=utc(4, 20, 5))
    assert await click_points(api.db, share.id) == [4, 4, 2, 0, 0, 4, 4, 0, 2, 0]
    assert await share_days(api.db, share.id) == {"2026-05-03": (5, 5, 10),
                                                  "2026-05-04": (5, 4, 10)}
    assert await share_days(api.db, second.id) == {"2026-05-04": (3, 3, 10)}
    # Sunday 3 May and Monday 4 May are in different ISO weeks in Honolulu.
    assert await totals(api.db, advocate.id) == {
        ("week", "2026-04-27"): (20 + 10, 2, 5, 0),
        ("week", "2026-05-04"): (10 + 10, 0, 8, 0),
        ("month", "2026-05-01"): (50, 2, 13, 0), ("quarter", "2026-04-01"): (50, 2, 13, 0),
        ("all", "1970-01-01"): (50, 2, 13, 0)}
    assert await ledger(api.db, advocate.id, kind="share") == [("share", 10), ("share", 10)]
    # The batch's earliest click is the first click.
    assert await badge_rows(api.db, "first-click") == [(advocate.id, "first-click",
                                                        utc(4, 9, 50))]


async def test_no_click_points_under_a_zero_rule_but_the_clicks_count(api: Api,
                                                                      app: FastAPI) -> None:
    admin = await api.headers(Role.admin)
    await set_rules(api, admin, utc(3, 0), unique_click=0)
    advocate, headers = await api.user()
    share = await share_via_api(api, headers, utc(3, 1))
    visitors = Visitors(app)
    try:
        await visitors.click(share["code"], "a", utc(3, 2))
        await visitors.click(share["code"], "b", utc(3, 3))
    finally:
        await visitors.close()
    assert await click_points(api.db, share["id"]) == [0, 0]
    assert await share_days(api.db, share["id"]) == {"2026-05-03": (2, 2, 0)}
    assert await totals(api.db, advocate.id) == {
        ("week", "2026-04-27"): (10, 1, 2, 0), ("month", "2026-05-01"): (10, 1, 2, 0),
        ("quarter", "2026-04-01"): (10, 1, 2, 0), ("all", "1970-01-01"): (10, 1, 2, 0)}


async def test_a_zero_cap_awards_nothing(api: Api, app: FastAPI) -> None:
    admin = await api.headers(Role.admin)
    await set_rules(api, admin, utc(3, 0), unique_click_daily_cap=0)
    _, headers = await api.user()
    share = await share_via_api(api, headers, utc(3, 1))
    visitors = Visitors(app)
    try:
        await visitors.click(share["code"], "a", utc(3, 2))
    finally:
        await visitors.close()
    assert await click_points(api.db, share["id"]) == [0]
