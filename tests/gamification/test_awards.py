"""What earns points and badges, and what does not (CONTRACT §3 badges, §4 counted clicks,
§5 points): bots and self-clicks earn nothing and count nowhere; the four-week streak counts
local ISO weeks with a share (not weeks with clicks alone); ``/me/badges`` lists badges by
the time they were earned, then by key; a leaderboard's group holds only its members; ties
are listed by name, whatever the ids.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select

from app.auth import groups as groups_service
from app.auth import users as users_service
from app.core.config import Settings
from app.models import Badge
from tests.builders import Api, Role, make_user
from tests.gamification.support import (
    BROWSER,
    Visitors,
    approve,
    at,
    board,
    ledger_rows,
    my_badges,
    published_post,
    set_rules,
    share_at,
    share_via_api,
    suggest,
    totals,
    zoned_settings,
)


@pytest.fixture
def zone() -> str:
    return "UTC"


@pytest.fixture
def settings(db_url: str, zone: str) -> Settings:
    return zoned_settings(db_url, zone)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def test_bots_and_self_clicks_earn_nothing_and_count_nowhere(api: Api,
                                                                   app: FastAPI) -> None:
    advocate, headers = await api.user()
    share = await share_via_api(api, headers, utc(5, 4, 8))
    token = headers["Authorization"].removeprefix("Bearer ")
    with at(utc(5, 4, 9)):
        bot = await api.client.get(f"/s/{share['code']}", headers={"user-agent": "curl/8.7.1"})
        own = await api.client.get(f"/s/{share['code']}", headers={
            "user-agent": BROWSER, "cookie": f"chorus_session={token}"})
    assert (bot.status_code, own.status_code) == (302, 302)
    assert await ledger_rows(api.db, advocate.id) == [
        ("share", 10, share["id"], "2026-05-04T08:00:00+00:00")]
    assert await totals(api.db, advocate.id) == {
        ("week", "2026-05-04"): (10, 1, 0, 0), ("month", "2026-05-01"): (10, 1, 0, 0),
        ("quarter", "2026-04-01"): (10, 1, 0, 0), ("all", "1970-01-01"): (10, 1, 0, 0)}
    assert [b[0] for b in await my_badges(api, headers)] == ["first-share"]
    visitors = Visitors(app)
    try:
        await visitors.click(share["code"], "reader", utc(5, 4, 10))
    finally:
        await visitors.close()
    assert await my_badges(api, headers) == [
        ("first-share", "First share", "2026-05-04T08:00:00Z"),
        ("first-click", "First click", "2026-05-04T10:00:00Z")]
    assert (await totals(api.db, advocate.id))[("all", "1970-01-01")] == (12, 1, 1, 0)


async def test_a_week_with_clicks_but_no_share_breaks_the_streak(api: Api,
                                                                 app: FastAPI) -> None:
    advocate, headers = await api.user()
    mondays = [utc(6, 1, 9) + timedelta(weeks=n) for n in range(6)]
    first = await share_via_api(api, headers, mondays[0])
    visitors = Visitors(app)
    try:  # week 2: clicks on the first share, no new share
        await visitors.click(first["code"], "reader", mondays[1] + timedelta(days=2))
    finally:
        await visitors.close()

    async def streak() -> list[tuple[str, str, str]]:
        return [b for b in await my_badges(api, headers) if b[0] == "streak-4"]

    for week in (2, 3, 4):
        await share_at(api.db, advocate, mondays[week])
        assert await streak() == [], week
    # Weeks 3 to 6 have shares: four in a row.
    await share_at(api.db, advocate, mondays[5] + timedelta(days=6, hours=14))  # Sunday 23:00
    assert await streak() == [("streak-4", "Four-week streak", "2026-07-12T23:00:00Z")]


@pytest.mark.parametrize("zone", ["Asia/Tokyo"])
async def test_streak_weeks_are_local_weeks(api: Api) -> None:
    async with api.db.transaction() as session:
        advocate = await make_user(session)
    # Wednesdays of the weeks of Monday 1, 8 and 15 June, then Monday 22 June 00:30 in
    # Tokyo, which is still Sunday 21 June in UTC (the UTC week of 15 June).
    for moment in (utc(6, 3, 3), utc(6, 10, 3), utc(6, 17, 3)):
        await share_at(api.db, advocate, moment)
    await share_at(api.db, advocate, utc(6, 21, 15, 30))
    async with api.db.transaction() as session:
        rows = (await session.execute(select(Badge.key, Badge.earned_at).where(
            Badge.user_id == advocate.id).order_by(Badge.key))).all()
    assert [(k, e.isoformat()) for k, e in rows] == [
        ("first-share", "2026-06-03T03:00:00+00:00"),
        ("streak-4", "2026-06-21T15:30:00+00:00")]


async def test_badges_are_listed_by_time_then_key(api: Api, app: FastAPI) -> None:
    advocate, headers = await api.user()
    start = utc(3, 2, 9)  # a Monday
    # Three shares in each of three weeks (the last of the first through the API): nine,
    # and no streak yet.
    for week in range(3):
        for n in range(3 if week else 2):
            await share_at(api.db, advocate, start + timedelta(weeks=week, minutes=n))
    share = await share_via_api(api, headers, start + timedelta(days=1))
    visitors = Visitors(app)
    try:
        await visitors.click(share["code"], "reader", start + timedelta(days=1, hours=1))
    finally:
        await visitors.close()
    # The tenth share, in the fourth week, earns ten-shares and streak-4 at once.
    await share_at(api.db, advocate, start + timedelta(weeks=3))
    async with api.db.transaction() as session:  # a badge this version does not know
        await session.execute(insert(Badge).values(user_id=advocate.id, key="pioneer",
                                                   earned_at=utc(1, 1, 0)))
    assert await my_badges(api, headers) == [
        ("pioneer", "pioneer", "2026-01-01T00:00:00Z"),
        ("first-share", "First share", "2026-03-02T09:00:00Z"),
        ("first-click", "First click", "2026-03-03T10:00:00Z"),
        ("streak-4", "Four-week streak", "2026-03-23T09:00:00Z"),
        ("ten-shares", "Ten shares", "2026-03-23T09:00:00Z")]


async def test_a_group_board_holds_its_members_only(api: Api) -> None:
    async with api.db.transaction() as session:
        sales = await groups_service.create(session, name="Sales", description=None)
        engineering = await groups_service.create(session, name="Engineering",
                                                  description=None)
        seller = await make_user(session, name="Seller", group_ids=[sales.id])
        both = await make_user(session, name="Both", group_ids=[sales.id, engineering.id])
        engineer = await make_user(session, name="Engineer", group_ids=[engineering.id])
        await make_user(session, name="Loner")
    for user in (seller, both, engineer):
        await share_at(api.db, user, utc(6, 10, 9))
    await share_at(api.db, engineer, utc(6, 10, 10))
    _, headers = await api.user(name="Viewer")
    now = utc(6, 10, 12)
    sales_board = await board(api, headers, now, group_id=sales.id)
    assert [(i["rank"], i["user"]["name"], i["points"]) for i in sales_board["items"]] == [
        (1, "Both", 10), (1, "Seller", 10)]
    engineering_board = await board(api, headers, now, group_id=engineering.id)
    assert [(i["rank"], i["user"]["name"], i["points"])
            for i in engineering_board["items"]] == [(1, "Engineer", 20), (2, "Both", 10)]


async def test_ties_are_listed_by_name_whatever_the_ids(api: Api) -> None:
    users = [(await api.user(name="placeholder"))[0] for _ in range(3)]
    # Name them so that name order is the reverse of id order.
    by_id = sorted(users, key=lambda u: u.id, reverse=True)
    for user, name in zip(by_id, ["Ann", "Bob", "Cid"], strict=True):
        async with api.db.transaction() as session:
            row = await users_service.get_or_raise(session, user.id)
            row.name = name
        await share_at(api.db, user, utc(6, 10, 9))
    _, headers = await api.user(name="Viewer")
    body = await board(api, headers, utc(6, 10, 12))
    assert [(i["rank"], i["user"]["name"]) for i in body["items"]] == [
        (1, "Ann"), (1, "Bob"), (1, "Cid"), (4, "Viewer")]


async def test_curator_counts_the_advocates_own_approved_suggestions_only(api: Api) -> None:
    ana, headers = await api.user(name="Ana")
    _, ben_headers = await api.user(name="Ben")
    marketer = await api.headers(Role.marketer)
    # The marketer's own posts, queued and published, are nobody's suggestions.
    for n in range(3):
        await published_post(api.db, utc(5, 4, 8, n))
    ana_posts = [await suggest(api, headers, utc(5, 4, 9, n), f"https://example.org/a{n}")
                 for n in range(4)]
    ben_posts = [await suggest(api, ben_headers, utc(5, 4, 9, 10 + n),
                               f"https://example.org/b{n}") for n in range(2)]
    for n, post_id in enumerate(ben_posts):
        await approve(api, marketer, post_id, utc(5, 4, 10, n))
    await approve(api, marketer, ana_posts[0], utc(5, 4, 10, 10))
    await approve(api, marketer, ana_posts[1], utc(5, 4, 10, 11))
    with at(utc(5, 4, 10, 12)):
        rejected = await api.client.post(f"/api/v1/posts/{ana_posts[2]}/reject",
                                         headers=marketer, json={"reason": "off topic"})
    assert rejected.status_code == 200
    # Two approved, one rejected, one waiting: not yet a curator.
    assert await my_badges(api, headers) == []
    await approve(api, marketer, ana_posts[3], utc(5, 4, 11))
    assert await my_badges(api, headers) == [("curator", "Curator", "2026-05-04T11:00:00Z")]
    assert [r[:2] for r in await ledger_rows(api.db, ana.id)] == [("suggestion", 15)] * 3


async def test_share_badges_count_the_sharers_own_shares_and_weeks(api: Api) -> None:
    """Another user's ten shares over three weeks make neither ten-shares nor a streak for
    someone who shares once in the fourth week. (Heavy's shares earn 0 points, so that his
    totals sort first wherever totals are read by points.)"""
    heavy, heavy_headers = await api.user(name="Heavy")
    newbie, headers = await api.user(name="Newbie")
    admin = await api.headers(Role.admin)
    await set_rules(api, admin, utc(6, 1, 0), share_created=0)
    monday = utc(6, 1, 9)
    for week, count in enumerate((4, 3, 3)):
        for n in range(count):
            await share_at(api.db, heavy, monday + timedelta(weeks=week, minutes=n))
    await set_rules(api, admin, utc(6, 20, 0), share_created=10)
    await share_at(api.db, newbie, monday + timedelta(weeks=3))
    assert [b[0] for b in await my_badges(api, headers)] == ["first-share"]
    assert [b[0] for b in await my_badges(api, heavy_headers)] == ["first-share", "ten-shares"]
    assert (await totals(api.db, heavy.id))[("all", "1970-01-01")] == (0, 10, 0, 0)
