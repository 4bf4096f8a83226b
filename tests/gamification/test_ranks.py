"""Ranks (CONTRACT §5, §3 ``/me/stats``): points descending, equal points share the better
rank (1, 2, 2, 4), ties listed by name (then id); opted-out users see the rank they would
have, deactivated users leave the ranking; each period counts only its own points.

Every expected rank below is counted by hand from the points written next to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from app.models import User
from tests.builders import Api, Role
from tests.gamification.support import (
    Visitors,
    at,
    board,
    conversions_key,
    convert,
    me_stats,
    share_at,
    share_via_api,
)

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)  # Wednesday; the ISO week began Monday 8 June
WEEK: dict[str, str | None] = {"period": "week", "starts_at": "2026-06-08T00:00:00Z",
                               "ends_at": "2026-06-15T00:00:00Z"}
ALL: dict[str, str | None] = {"period": "all", "starts_at": None, "ends_at": None}


class Program:
    """Users with known points this week and in all time (hand-computed):

    ======  ==============================================  ======  ======
    name    events                                          week    all
    ======  ==============================================  ======  ======
    Abe     1 share, 1 unique click, 1 conversion (now)     32      32
    Dora    3 shares (now)                                  30      30
    Bea     2 shares (now)                                  20      20
    Cleo    2 shares (now)                                  20      20
    Fay     1 share (now)                                   10      10
    Eli     5 shares on 27 May                              0       50
    Ada     (the admin) nothing                             0       0
    Zed     nothing                                         0       0
    Shy     2 shares (now), opted out                       20      20
    Gone    10 shares (now), deactivated                    100     100
    ======  ==============================================  ======  ======
    """

    def __init__(self, api: Api) -> None:
        self.api = api
        self.users: dict[str, User] = {}
        self.headers: dict[str, dict[str, str]] = {}

    async def build(self, app: FastAPI) -> None:
        api = self.api
        for name in ["Abe", "Dora", "Bea", "Cleo", "Fay", "Eli", "Zed", "Shy", "Gone"]:
            self.users[name], self.headers[name] = await api.user(name=name)
        self.users["Ada"], self.headers["Ada"] = await api.user(Role.admin, name="Ada")
        for name, count in {"Dora": 3, "Bea": 2, "Cleo": 2, "Fay": 1, "Shy": 2,
                            "Gone": 10}.items():
            for n in range(count):
                await share_at(api.db, self.users[name], NOW - timedelta(hours=12, minutes=n))
        for n in range(5):
            await share_at(api.db, self.users["Eli"], datetime(2026, 5, 27, 9, n, tzinfo=UTC))
        share = await share_via_api(api, self.headers["Abe"], NOW - timedelta(hours=3))
        visitors = Visitors(app)
        try:
            click_id = await visitors.click(share["code"], "reader", NOW - timedelta(hours=2))
        finally:
            await visitors.close()
        with at(NOW - timedelta(hours=1)):
            key = await conversions_key(api, self.headers["Ada"])
        converted = await convert(api, key, NOW - timedelta(hours=1), "abe-1", click_id)
        assert converted["attributed"] is True
        with at(NOW - timedelta(minutes=30)):
            opt_out = await api.client.patch("/api/v1/me", headers=self.headers["Shy"],
                                             json={"leaderboard_opt_out": True})
            gone = await api.client.delete(f"/api/v1/users/{self.users['Gone'].id}",
                                           headers=self.headers["Ada"])
        assert opt_out.status_code == 200
        assert gone.status_code == 204

    def ref(self, name: str) -> dict[str, str]:
        return {"id": self.users[name].id, "name": name}


async def test_me_stats_ranks_ties_opt_outs_and_periods(api: Api, app: FastAPI) -> None:
    program = Program(api)
    await program.build(app)
    # name → (rank, points, shares, clicks, conversions), this week
    week = {"Abe": (1, 32, 1, 1, 1), "Dora": (2, 30, 3, 0, 0), "Bea": (3, 20, 2, 0, 0),
            "Cleo": (3, 20, 2, 0, 0), "Fay": (5, 10, 1, 0, 0), "Eli": (6, 0, 0, 0, 0),
            "Ada": (6, 0, 0, 0, 0), "Zed": (6, 0, 0, 0, 0),
            # Opted out: ranked as if listed, among the listed users (Abe and Dora ahead).
            "Shy": (3, 20, 2, 0, 0)}
    everything = {"Eli": (1, 50, 5, 0, 0), "Abe": (2, 32, 1, 1, 1), "Dora": (3, 30, 3, 0, 0),
                  "Bea": (4, 20, 2, 0, 0), "Cleo": (4, 20, 2, 0, 0), "Fay": (6, 10, 1, 0, 0),
                  "Ada": (7, 0, 0, 0, 0), "Zed": (7, 0, 0, 0, 0), "Shy": (4, 20, 2, 0, 0)}
    for period, bounds, expected in [(None, WEEK, week), ("all", ALL, everything)]:
        for name, (rank, points, shares, clicks, conversions) in expected.items():
            stats = await me_stats(api, program.headers[name], NOW, period)
            assert stats == {**bounds, "rank": rank, "user": program.ref(name),
                             "points": points, "shares": shares, "clicks": clicks,
                             "conversions": conversions}, (period, name)


async def test_the_leaderboard_lists_the_same_ranks(api: Api, app: FastAPI) -> None:
    program = Program(api)
    await program.build(app)

    def rows(body: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(i["rank"], i["user"]["name"], i["points"], i["shares"], i["clicks"],
                 i["conversions"]) for i in body["items"]]

    week = await board(api, program.headers["Zed"], NOW)
    assert {k: week[k] for k in WEEK} == WEEK
    assert rows(week) == [(1, "Abe", 32, 1, 1, 1), (2, "Dora", 30, 3, 0, 0),
                          (3, "Bea", 20, 2, 0, 0), (3, "Cleo", 20, 2, 0, 0),
                          (5, "Fay", 10, 1, 0, 0), (6, "Ada", 0, 0, 0, 0),
                          (6, "Eli", 0, 0, 0, 0), (6, "Zed", 0, 0, 0, 0)]
    assert [i["user"]["id"] for i in week["items"]][:1] == [program.users["Abe"].id]
    everything = await board(api, program.headers["Zed"], NOW, period="all")
    assert {k: everything[k] for k in ALL} == ALL
    assert rows(everything) == [(1, "Eli", 50, 5, 0, 0), (2, "Abe", 32, 1, 1, 1),
                                (3, "Dora", 30, 3, 0, 0), (4, "Bea", 20, 2, 0, 0),
                                (4, "Cleo", 20, 2, 0, 0), (6, "Fay", 10, 1, 0, 0),
                                (7, "Ada", 0, 0, 0, 0), (7, "Zed", 0, 0, 0, 0)]
    month = await board(api, program.headers["Zed"], NOW, period="month")
    assert (month["starts_at"], month["ends_at"]) == ("2026-06-01T00:00:00Z",
                                                      "2026-07-01T00:00:00Z")
    assert [(r[0], r[1], r[2]) for r in rows(month)][:2] == [(1, "Abe", 32), (2, "Dora", 30)]
    quarter = await board(api, program.headers["Zed"], NOW, period="quarter")
    assert (quarter["starts_at"], quarter["ends_at"]) == ("2026-04-01T00:00:00Z",
                                                          "2026-07-01T00:00:00Z")
    assert [(r[0], r[1], r[2]) for r in rows(quarter)][:2] == [(1, "Eli", 50), (2, "Abe", 32)]
    top = await board(api, program.headers["Zed"], NOW, limit=4)
    assert [i["user"]["name"] for i in top["items"]] == ["Abe", "Dora", "Bea", "Cleo"]


async def test_equal_names_and_points_are_listed_by_id(api: Api) -> None:
    sams = [(await api.user(name="Sam"))[0] for _ in range(6)]
    _, headers = await api.user(name="Viewer")
    for sam in sams:
        await share_at(api.db, sam, NOW - timedelta(hours=1))
    body = await board(api, headers, NOW)
    listed = [(i["rank"], i["user"]["name"], i["user"]["id"]) for i in body["items"]]
    assert listed == [(1, "Sam", sam_id) for sam_id in sorted(s.id for s in sams)] + [
        (7, "Viewer", listed[-1][2])]


async def test_a_week_and_a_month_starting_on_one_day_keep_their_own_totals(api: Api) -> None:
    """Monday 1 June 2026 starts both an ISO week and a month: each period reads its own
    totals. (Later shares are recorded first, then the clock goes back to the first week:
    the only way a month can differ from its first week.)"""
    june, headers = await api.user(name="June")
    may, may_headers = await api.user(name="May")
    for day in (2, 9, 10):
        await share_at(api.db, june, datetime(2026, 6, day, 9, tzinfo=UTC))
    for minute in (0, 1):
        await share_at(api.db, may, datetime(2026, 6, 2, 10, minute, tzinfo=UTC))
    when = datetime(2026, 6, 3, 12, tzinfo=UTC)
    week = await me_stats(api, headers, when)
    month = await me_stats(api, headers, when, "month")
    assert (week["starts_at"], week["rank"], week["points"], week["shares"]) == (
        "2026-06-01T00:00:00Z", 2, 10, 1)
    assert (month["starts_at"], month["rank"], month["points"], month["shares"]) == (
        "2026-06-01T00:00:00Z", 1, 30, 3)
    assert (await me_stats(api, may_headers, when, "month"))["rank"] == 2
    week_board = await board(api, headers, when)
    assert [(i["rank"], i["user"]["name"], i["points"]) for i in week_board["items"]] == [
        (1, "May", 20), (2, "June", 10)]
    month_board = await board(api, headers, when, period="month")
    assert [(i["rank"], i["user"]["name"], i["points"]) for i in month_board["items"]] == [
        (1, "June", 30), (2, "May", 20)]
