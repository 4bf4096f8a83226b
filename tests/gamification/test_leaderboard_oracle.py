"""The leaderboard's pages and the caller's rank against a plain oracle over random programs.

Each seed writes a random program straight into the per-period totals: many ties on points,
repeated names (so the id decides), users with no row and rows worth 0 points, deactivated
and opted-out users, a group, and rows of other periods that must not count. The oracle
below ranks by the rule of CONTRACT §5 written out naively: rank = 1 + the number of listed
users with more points; listed by rank, then name, then id. Names are upper-case letters
and ids lower-case hex, which every collation orders as Python does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from app.auth import groups as groups_service
from app.models import PeriodStats
from tests.builders import Api, bearer, make_user, token_for

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)  # Wednesday: the UTC week began Monday 8 June
STARTS = {"week": date(2026, 6, 8), "all": date(1970, 1, 1)}
OTHER_STARTS = {"week": date(2026, 6, 1), "month": date(2026, 6, 1)}
NAMES = ["ADA", "BO", "BOB", "CY", "DEE", "DEEN"]
POINTS = [0, 2, 10, 10, 12, 20, 20, 30, 50]


@dataclass
class Person:
    id: str
    name: str
    listed: bool  # active and not opted out
    active: bool
    groups: bool
    totals: dict[str, tuple[int, int, int, int]]  # period -> points, shares, clicks, conv.
    headers: dict[str, str]

    def points(self, period: str) -> int:
        return self.totals.get(period, (0, 0, 0, 0))[0]

    def item(self, period: str, rank: int) -> dict[str, Any]:
        points, shares, clicks, conversions = self.totals.get(period, (0, 0, 0, 0))
        return {"rank": rank, "user": {"id": self.id, "name": self.name}, "points": points,
                "shares": shares, "clicks": clicks, "conversions": conversions}


def expected_board(people: list[Person], period: str, in_group: bool,
                   limit: int) -> list[dict[str, Any]]:
    listed = [p for p in people if p.listed and (p.groups or not in_group)]
    ordered = sorted(listed, key=lambda p: (-p.points(period), p.name, p.id))
    return [p.item(period, 1 + sum(1 for q in listed if q.points(period) > p.points(period)))
            for p in ordered[:limit]]


def expected_rank(people: list[Person], caller: Person, period: str) -> int:
    return 1 + sum(1 for p in people
                   if p.listed and p is not caller and p.points(period) > caller.points(period))


async def _program(api: Api, rng: random.Random) -> tuple[list[Person], str]:
    people: list[Person] = []
    async with api.db.transaction() as session:
        group = await groups_service.create(session, name="Sellers", description=None)
        for _ in range(rng.randint(25, 45)):
            in_group = rng.random() < 0.5
            active = rng.random() > 0.1
            user = await make_user(session, name=rng.choice(NAMES), active=active,
                                   group_ids=[group.id] if in_group else [])
            user.leaderboard_opt_out = rng.random() < 0.15
            totals: dict[str, tuple[int, int, int, int]] = {}
            for period, starts_on in STARTS.items():
                if rng.random() < 0.3:
                    continue  # no row: zero points
                row = (rng.choice(POINTS), rng.randint(0, 3), rng.randint(0, 9), rng.randint(0, 2))
                totals[period] = row
                session.add(PeriodStats(user_id=user.id, period=period, starts_on=starts_on,
                                        points=row[0], shares=row[1], clicks=row[2],
                                        conversions=row[3]))
            for period, starts_on in OTHER_STARTS.items():
                if rng.random() < 0.5:
                    session.add(PeriodStats(user_id=user.id, period=period, starts_on=starts_on,
                                            points=rng.choice(POINTS[1:]), shares=1, clicks=1,
                                            conversions=0))
            headers = bearer(await token_for(session, user)) if active else {}
            people.append(Person(id=user.id, name=user.name, listed=active and not
                                 user.leaderboard_opt_out, active=active, groups=in_group,
                                 totals=totals, headers=headers))
    return people, group.id


async def _get(api: Api, path: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    with time_machine.travel(NOW, tick=False):
        response = await api.client.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("seed", range(4))
async def test_pages_and_ranks_match_the_oracle(api: Api, seed: int) -> None:
    rng = random.Random(seed)
    people, group_id = await _program(api, rng)
    viewer = next(p for p in people if p.active)
    listed_count = sum(p.listed for p in people)
    limits = sorted({1, 2, rng.randint(3, listed_count), rng.randint(3, listed_count),
                     listed_count, 200})
    for period in STARTS:
        for in_group in (False, True):
            for limit in limits:
                params: dict[str, Any] = {"period": period, "limit": limit}
                if in_group:
                    params["group_id"] = group_id
                board = await _get(api, "/api/v1/leaderboard", viewer.headers, **params)
                assert board["items"] == expected_board(people, period, in_group, limit), (
                    period, in_group, limit)
        for caller in (p for p in people if p.active):
            mine = await _get(api, "/api/v1/me/stats", caller.headers, period=period)
            assert mine["rank"] == expected_rank(people, caller, period), (period, caller)
            assert mine["points"] == caller.points(period)


async def test_an_empty_period_lists_everyone_by_name_then_id(api: Api) -> None:
    async with api.db.transaction() as session:
        twins = [await make_user(session, name="TWIN") for _ in range(3)]
        alf = await make_user(session, name="ALF")
        shy = await make_user(session, name="AARON")
        shy.leaderboard_opt_out = True
        await make_user(session, name="ABE", active=False)
        # A share whose rule paid 0 points: a row, but no points.
        session.add(PeriodStats(user_id=twins[0].id, period="week", starts_on=STARTS["week"],
                                points=0, shares=1, clicks=0, conversions=0))
        headers = bearer(await token_for(session, shy))
    board = await _get(api, "/api/v1/leaderboard", headers, period="week")
    twin_ids = sorted(t.id for t in twins)
    assert [(i["rank"], i["user"]["name"], i["user"]["id"]) for i in board["items"]] == [
        (1, "ALF", alf.id),
        *[(1, "TWIN", twin_id) for twin_id in twin_ids]]
    assert next(i for i in board["items"] if i["user"]["id"] == twins[0].id)["shares"] == 1
    mine = await _get(api, "/api/v1/me/stats", headers, period="week")
    assert (mine["rank"], mine["points"]) == (1, 0)
