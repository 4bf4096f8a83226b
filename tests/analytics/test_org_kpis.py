"""The organisation's KPIs (``GET /api/v1/kpis``, CONTRACT §3 and §6) on the hand-built
program of ``scenario.py``, against answers worked out by hand.

Over [03-04, 03-18), asked after it: a1, a2, a3 and the outsider o1 (a4 left on 03-15; the
manager signing in was created after ``to``). Their shares created in the range: a1-p1,
a1-p2, a2-p2, o1-p1. Counted clicks: a1-p0 1, a1-p1 3, a2-p2 1, o1-p1 1 (a4's and a3's
fall out). Conversions: 100 (a1-p1), 50.50 (a2-p2) and 10 (o1-p1) EUR, all deals. Feedback
to any pilot, from them, in the range: 9, 6, 10 and 0.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine

from app.models import Post
from tests.analytics.scenario import World, at, build
from tests.builders import Api, Role, make_user

RANGE = {"from": "2026-03-04", "to": "2026-03-18"}


@pytest.fixture
async def world(api: Api) -> World:
    return await build(api.db)


async def _kpis(api: Api, params: dict[str, str], *, when: datetime | None = None
                ) -> dict[str, Any]:
    manager = await api.headers(Role.manager)
    if when is None:
        response = await api.client.get("/api/v1/kpis", headers=manager, params=params)
    else:
        with time_machine.travel(when, tick=False):
            response = await api.client.get("/api/v1/kpis", headers=manager, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_whole_organisation(api: Api, world: World) -> None:
    report = await _kpis(api, RANGE)
    assert (report["pilot_id"], report["from"], report["to"]) == (None, *RANGE.values())
    assert report["vs_paid"] is None and report["roi"] is None and report["warnings"] == []
    expected = {
        "enrolled": 4, "active_advocates": 3, "participation_rate": 0.75, "shares": 4,
        "clicks": 6, "unique_clicks": 5, "conversions": 3, "revenue": "160.5",
        "revenue_currency": "EUR", "conversions_by_type": {"deal": 3}, "reach": 1750,
        "feedback_score": 6.25, "enps": 0.0, "posts_published": 3, "conversion_rate": 0.6,
    }
    assert {k: report[k] for k in expected} == expected
    assert sorted(report["by_network"]) == ["linkedin", "x"]
    assert report["by_network"]["linkedin"]["conversions_by_type"] == {"deal": 3}
    assert list(report["by_group"]) == [world.g1]
    assert [(w["week_start"], w["week_end"]) for w in report["weekly"]] == [
        ("2026-03-04", "2026-03-09"), ("2026-03-09", "2026-03-16"), ("2026-03-16", "2026-03-18")]
    assert [w["clicks"] for w in report["weekly"]] == [5, 1, 0]


async def test_top_posts_of_the_organisation(api: Api, world: World) -> None:
    p0, p1, p2 = (world.shares[k].post_id for k in ("a1-p0", "a1-p1", "a2-p2"))
    async with api.db.transaction() as session:
        titles = {p: (await session.get(Post, p)).title for p in (p0, p1, p2)}  # type: ignore[union-attr]
    report = await _kpis(api, RANGE)
    assert report["top_posts"] == [
        {"post_id": p1, "title": titles[p1], "shares": 2, "clicks": 4, "conversions": 2,
         "revenue_by_currency": {"EUR": "110"}},
        {"post_id": p2, "title": titles[p2], "shares": 2, "clicks": 1, "conversions": 1,
         "revenue_by_currency": {"EUR": "50.5"}},
        {"post_id": p0, "title": titles[p0], "shares": 0, "clicks": 1, "conversions": 0,
         "revenue_by_currency": {}},
    ]


async def test_one_group(api: Api, world: World) -> None:
    """G1's current members: a1, a2 and a4, who left on 03-15."""
    report = await _kpis(api, {**RANGE, "group_id": world.g1})
    expected = {"enrolled": 2, "active_advocates": 2, "shares": 3, "clicks": 5,
                "conversions": 2, "feedback_score": 7.5, "revenue": "150.5"}
    assert {k: report[k] for k in expected} == expected
    assert list(report["by_group"]) == [world.g1]
    assert [p["clicks"] for p in report["top_posts"]] == [3, 1, 1]
    assert report["pilot_id"] is None and report["roi"] is None


async def test_the_cohort_is_who_exists_and_is_active_at_the_cutoff(api: Api,
                                                                    world: World) -> None:
    """Asked on 03-10, before ``to``: a4 has not left yet, and a marketer who existed by then
    counts as any role does; someone created after ``to`` never does."""
    async with api.db.transaction() as session:
        marketer = await make_user(session, role=Role.marketer)
        marketer.created_at = at(9)
        late = await make_user(session)
        late.created_at = at(20)
    asked = await _kpis(api, RANGE, when=at(10))
    assert asked["enrolled"] == 6  # a1-a4, o1 and the marketer
    after = await _kpis(api, RANGE)
    assert after["enrolled"] == 5  # a4 has left by 03-18


async def test_access_and_bad_input(api: Api, world: World) -> None:
    for role in (Role.advocate, Role.marketer):
        headers = await api.headers(role)
        for params in (RANGE, {}):
            response = await api.client.get("/api/v1/kpis", headers=headers, params=params)
            assert response.status_code == 403, (role, params)
    admin = await api.headers(Role.admin)
    assert (await api.client.get("/api/v1/kpis", headers=admin,
                                 params=RANGE)).status_code == 200
    assert (await api.client.get("/api/v1/kpis", params=RANGE)).status_code == 401
    manager = await api.headers(Role.manager)
    for params in ({}, {"from": "2026-03-04"}, {"to": "2026-03-18"},
                   {"from": "2026-03-18", "to": "2026-03-18"},
                   {"from": "2026-03-19", "to": "2026-03-18"},
                   {"from": "yesterday", "to": "2026-03-18"}):
        response = await api.client.get("/api/v1/kpis", headers=manager, params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
    unknown = await api.client.get("/api/v1/kpis", headers=manager,
                                   params={**RANGE, "group_id": "no-such-group"})
    assert unknown.status_code == 404
