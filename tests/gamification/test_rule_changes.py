"""A rule change applies to later events only (CONTRACT §5), for every event type: an admin
changes the rules through ``PUT /api/v1/settings/points`` at 10:00; what happened before
keeps the old points, what happens after earns the new ones, and the period totals are the
sum of both. Each event goes through its public request path (shares, ``/s/`` clicks,
conversions, suggestion reviews).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from app.models import User
from tests.builders import Api, Role
from tests.gamification.support import (
    DEFAULT_RULES,
    Visitors,
    approve,
    at,
    click_points,
    conversions_key,
    convert,
    ledger,
    ledger_rows,
    me_stats,
    set_rules,
    share_days,
    share_via_api,
    suggest,
    totals,
)

NEW_RULES = {"share_created": 4, "unique_click": 5, "unique_click_daily_cap": 50,
             "attributed_conversion": 7, "suggestion_approved": 9}


def utc(hour: int, minute: int = 0, day: int = 4) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=UTC)


CHANGE = utc(10)  # the admin changes the rules at 10:00 on Monday 4 May 2026


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def _change_rules(api: Api) -> dict[str, str]:
    admin = await api.headers(Role.admin)
    # Every request travels in time: one made "today" would rotate the visitor salt of §4
    # past the clicks' day and destroy theirs.
    with at(CHANGE):
        with_defaults = (await api.client.get("/api/v1/settings/points", headers=admin)).json()
    assert with_defaults == DEFAULT_RULES
    await set_rules(api, admin, CHANGE, **NEW_RULES)
    return admin


async def _all_time(api: Api, headers: dict[str, str]) -> tuple[int, int, int, int]:
    stats = await me_stats(api, headers, utc(23), "all")
    return stats["points"], stats["shares"], stats["clicks"], stats["conversions"]


async def test_shares_before_the_change_keep_10_and_later_ones_earn_4(api: Api) -> None:
    ana, headers = await api.user()
    before = await share_via_api(api, headers, utc(9, 59))
    await _change_rules(api)
    after = await share_via_api(api, headers, utc(10, 1))
    on_x = await share_via_api(api, headers, utc(10, 2), network="x")
    assert await ledger_rows(api.db, ana.id) == [
        ("share", 10, before["id"], iso(utc(9, 59))), ("share", 4, after["id"], iso(utc(10, 1))),
        ("share", 4, on_x["id"], iso(utc(10, 2)))]
    assert await _all_time(api, headers) == (18, 3, 0, 0)


async def test_clicks_earn_the_rule_of_their_own_time(api: Api, app: FastAPI) -> None:
    ana, headers = await api.user()
    share = await share_via_api(api, headers, utc(8))
    visitors = Visitors(app)
    try:
        await visitors.click(share["code"], "early", utc(9))
        await visitors.click(share["code"], "early", utc(9, 30))  # not unique: nothing
        await _change_rules(api)
        # A share made under the old rules: its later clicks earn the new points.
        await visitors.click(share["code"], "late", utc(10, 30))
        await visitors.click(share["code"], "early", utc(10, 31))  # still not unique today
    finally:
        await visitors.close()
    assert await click_points(api.db, share["id"]) == [2, 0, 5, 0]
    assert await share_days(api.db, share["id"]) == {"2026-05-04": (4, 2, 7)}
    assert await _all_time(api, headers) == (10 + 7, 1, 4, 0)
    assert [r[2] for r in await ledger_rows(api.db, ana.id)] == [share["id"]] * 5


async def test_the_daily_cap_in_force_counts_the_points_spent_earlier_that_day(
        api: Api, app: FastAPI) -> None:
    _, headers = await api.user()
    admin = await api.headers(Role.admin)
    share = await share_via_api(api, headers, utc(8))
    visitors = Visitors(app)
    try:
        for n in range(5):  # 5 × 2 = 10 points under the defaults
            await visitors.click(share["code"], f"a{n}", utc(9, n))
        # A cap below what the day already spent: nothing more, and never negative.
        await set_rules(api, admin, utc(10), unique_click_daily_cap=7)
        await visitors.click(share["code"], "b0", utc(10, 1))
        # A higher cap: the rest of it (12 − 10), then nothing.
        await set_rules(api, admin, utc(11), unique_click=5, unique_click_daily_cap=12)
        await visitors.click(share["code"], "c0", utc(11, 1))
        await visitors.click(share["code"], "c1", utc(11, 2))
        # The next day starts from zero under the rules in force.
        await visitors.click(share["code"], "d0", utc(9, day=5))
        await visitors.click(share["code"], "d1", utc(9, 1, day=5))
        await visitors.click(share["code"], "d2", utc(9, 2, day=5))
    finally:
        await visitors.close()
    assert await click_points(api.db, share["id"]) == [2, 2, 2, 2, 2, 0, 2, 0, 5, 5, 2]
    assert await share_days(api.db, share["id"]) == {"2026-05-04": (8, 8, 12),
                                                     "2026-05-05": (3, 3, 12)}
    assert await _all_time(api, headers) == (10 + 24, 1, 11, 0)


async def _a_clicked_share(api: Api, app: FastAPI
                           ) -> tuple[User, dict[str, str], dict[str, str], dict[str, Any], str]:
    """An advocate whose share (08:00) a buyer clicked (09:00), and a conversions API key."""
    ana, headers = await api.user()
    key = await conversions_key(api, await api.headers(Role.admin))
    share = await share_via_api(api, headers, utc(8))
    visitors = Visitors(app)
    try:
        click = await visitors.click(share["code"], "buyer", utc(9))
    finally:
        await visitors.close()
    return ana, headers, key, share, click


async def test_conversions_before_the_change_keep_20_and_later_ones_earn_7(
        api: Api, app: FastAPI) -> None:
    ana, headers, key, share, click = await _a_clicked_share(api, app)
    await convert(api, key, utc(9, 30), "before", click)
    await _change_rules(api)
    # The same (older) click converting again after the change: the conversion is the event.
    await convert(api, key, utc(10, 30), "after", click)
    # Unattributed conversions earn nobody anything.
    unattributed = await convert(api, key, utc(10, 40), "stray", "no-such-click-id")
    assert unattributed["attributed"] is False
    assert await ledger_rows(api.db, ana.id) == [
        ("share", 10, share["id"], iso(utc(8))), ("click", 2, share["id"], iso(utc(9))),
        ("conversion", 20, share["id"], iso(utc(9, 30))),
        ("conversion", 7, share["id"], iso(utc(10, 30)))]
    assert await _all_time(api, headers) == (39, 1, 1, 2)
    assert await totals(api.db, ana.id) == {
        ("week", "2026-05-04"): (39, 1, 1, 2), ("month", "2026-05-01"): (39, 1, 1, 2),
        ("quarter", "2026-04-01"): (39, 1, 1, 2), ("all", "1970-01-01"): (39, 1, 1, 2)}


async def test_approvals_before_the_change_keep_15_and_later_ones_earn_9(api: Api) -> None:
    ana, headers = await api.user()
    marketer = await api.headers(Role.marketer)
    first = await suggest(api, headers, utc(9), "https://example.org/first")
    await approve(api, marketer, first, utc(9, 30))
    # Suggested before the change, approved after it: the approval is the event.
    second = await suggest(api, headers, utc(9, 40), "https://example.org/second")
    await _change_rules(api)
    await approve(api, marketer, second, utc(10, 30))
    third = await suggest(api, headers, utc(10, 45), "https://example.org/third")
    await approve(api, marketer, third, utc(11))
    assert await ledger_rows(api.db, ana.id) == [
        ("suggestion", 15, None, iso(utc(9, 30))), ("suggestion", 9, None, iso(utc(10, 30))),
        ("suggestion", 9, None, iso(utc(11)))]
    assert await totals(api.db, ana.id) == {
        ("week", "2026-05-04"): (33, 0, 0, 0), ("month", "2026-05-01"): (33, 0, 0, 0),
        ("quarter", "2026-04-01"): (33, 0, 0, 0), ("all", "1970-01-01"): (33, 0, 0, 0)}
    # The third approval makes a curator, at that moment.
    badges = (await api.client.get("/api/v1/me/badges", headers=headers)).json()["items"]
    assert [(b["key"], b["earned_at"]) for b in badges] == [("curator", "2026-05-04T11:00:00Z")]


async def test_a_conversion_reported_late_earns_the_rule_of_its_own_time(
        api: Api, app: FastAPI) -> None:
    ana, headers, key, share, click = await _a_clicked_share(api, app)
    await _change_rules(api)
    await convert(api, key, utc(12), "late", click, occurred_at="2026-05-04T09:30:00Z")
    assert await ledger(api.db, ana.id, kind="conversion") == [("conversion", 20)]
