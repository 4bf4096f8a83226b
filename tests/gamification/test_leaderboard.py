"""Leaderboards (CONTRACT §5) in Europe/Berlin: ties, opt-out, groups, deactivation, and
period edges around Monday 00:00 and a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from app.auth import groups as groups_service
from app.auth import users as users_service
from app.content import publisher
from app.core.config import Settings
from app.core.db import Database
from app.models import User
from app.models.enums import Network
from app.sharing import service as sharing_service
from tests.builders import Api, make_post, make_user
from tests.conftest import SECRET


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, secret_key=SECRET,  # type: ignore[call-arg]
                    timezone="Europe/Berlin")


async def _shares(db: Database, user: User, count: int, when: datetime) -> None:
    """``count`` shares (10 points each) by ``user`` at ``when``."""
    with time_machine.travel(when, tick=False):
        async with db.transaction() as session:
            for _ in range(count):
                post = await make_post(session)
                await publisher.run(session)
                await sharing_service.get_or_create(session, user=user, post_id=post.id,
                                                    network=Network.linkedin)


async def _board(api: Api, headers: dict[str, str], when: datetime, **params: Any
                 ) -> dict[str, Any]:
    with time_machine.travel(when, tick=False):
        response = await api.client.get("/api/v1/leaderboard", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)


async def test_ties_share_a_rank_and_are_listed_by_name(api: Api) -> None:
    async with api.db.transaction() as session:
        users = {n: await make_user(session, name=n) for n in ["Dora", "Bea", "Cleo", "Abe", "Eli"]}
    for name, shares in {"Dora": 3, "Bea": 2, "Cleo": 2, "Abe": 1}.items():
        await _shares(api.db, users[name], shares, NOW)
    viewer, headers = await api.user(name="Zed")
    board = await _board(api, headers, NOW)
    rows = [(i["rank"], i["user"]["name"], i["points"], i["shares"]) for i in board["items"]]
    assert rows == [(1, "Dora", 30, 3), (2, "Bea", 20, 2), (2, "Cleo", 20, 2), (4, "Abe", 10, 1),
                    (5, "Eli", 0, 0), (5, "Zed", 0, 0)]
    limited = await _board(api, headers, NOW, limit=2)
    assert [i["user"]["name"] for i in limited["items"]] == ["Dora", "Bea"]


async def test_opted_out_users_are_hidden_but_see_their_rank(api: Api) -> None:
    shy, shy_headers = await api.user(name="Shy")
    async with api.db.transaction() as session:
        other = await make_user(session, name="Other")
    await _shares(api.db, shy, 2, NOW)
    await _shares(api.db, other, 1, NOW)
    await api.client.patch("/api/v1/me", headers=shy_headers, json={"leaderboard_opt_out": True})
    board = await _board(api, shy_headers, NOW)
    assert "Shy" not in [i["user"]["name"] for i in board["items"]]
    with time_machine.travel(NOW, tick=False):
        mine = (await api.client.get("/api/v1/me/stats", headers=shy_headers)).json()
    assert (mine["rank"], mine["points"], mine["shares"], mine["period"]) == (1, 20, 2, "week")


async def test_group_filter_and_deactivated_users(api: Api) -> None:
    async with api.db.transaction() as session:
        sales = await groups_service.create(session, name="Sales", description=None)
        seller = await make_user(session, name="Seller", group_ids=[sales.id])
        gone = await make_user(session, name="Gone", group_ids=[sales.id])
        await make_user(session, name="Engineer")
    await _shares(api.db, gone, 5, NOW)
    await _shares(api.db, seller, 1, NOW)
    async with api.db.transaction() as session:
        await users_service.deactivate(session, await users_service.get_or_raise(session, gone.id))
    _, headers = await api.user(name="Viewer")
    board = await _board(api, headers, NOW, group_id=sales.id)
    assert [(i["rank"], i["user"]["name"]) for i in board["items"]] == [(1, "Seller")]


async def test_sunday_2359_and_monday_0000_local_fall_in_different_weeks(api: Api) -> None:
    user, headers = await api.user(name="Night owl")
    # Sunday 2026-06-14 23:59 in Berlin (UTC+2) and Monday 00:00 a minute later.
    await _shares(api.db, user, 1, datetime(2026, 6, 14, 21, 59, tzinfo=UTC))
    await _shares(api.db, user, 2, datetime(2026, 6, 14, 22, 0, tzinfo=UTC))
    sunday = await _board(api, headers, datetime(2026, 6, 14, 21, 59, 30, tzinfo=UTC))
    assert sunday["starts_at"] == "2026-06-07T22:00:00Z"
    assert sunday["ends_at"] == "2026-06-14T22:00:00Z"
    assert sunday["items"][0]["points"] == 10
    monday = await _board(api, headers, datetime(2026, 6, 14, 22, 0, 30, tzinfo=UTC))
    assert monday["starts_at"] == "2026-06-14T22:00:00Z"
    assert monday["items"][0]["points"] == 20
    month = await _board(api, headers, datetime(2026, 6, 15, 8, tzinfo=UTC), period="month")
    assert month["starts_at"] == "2026-05-31T22:00:00Z" and month["items"][0]["points"] == 30


async def test_a_week_with_a_dst_change_lasts_167_hours(api: Api) -> None:
    user, headers = await api.user(name="Spring")
    # Clocks go forward on Sunday 2026-03-29: the week runs from Monday 23 March 00:00 CET
    # (22:59:59Z + 1 s) to Monday 30 March 00:00 CEST (22:00Z on the 29th).
    await _shares(api.db, user, 1, datetime(2026, 3, 29, 21, 59, tzinfo=UTC))
    await _shares(api.db, user, 1, datetime(2026, 3, 29, 22, 0, tzinfo=UTC))
    board = await _board(api, headers, datetime(2026, 3, 29, 12, tzinfo=UTC))
    assert (board["starts_at"], board["ends_at"]) == ("2026-03-22T23:00:00Z",
                                                      "2026-03-29T22:00:00Z")
    assert board["items"][0]["points"] == 10
    quarter = await _board(api, headers, datetime(2026, 3, 29, 12, tzinfo=UTC),
                           period="quarter")
    assert quarter["starts_at"] == "2025-12-31T23:00:00Z"
    everything = await _board(api, headers, datetime(2026, 4, 2, tzinfo=UTC), period="all")
    assert everything["starts_at"] is None and everything["items"][0]["points"] == 20


async def test_bad_period_is_422(api: Api) -> None:
    headers = await api.headers()
    assert (await api.client.get("/api/v1/leaderboard", headers=headers,
                                 params={"period": "year"})).status_code == 422
