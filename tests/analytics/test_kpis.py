"""KPIs (CONTRACT §6) on the hand-built pilot of ``scenario.py``, against answers worked out
by hand: bots, a self-click, a replayed conversion, a deactivated advocate, a post in two
topics, a range that cuts weeks, zero denominators."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from app.conversions import service as conversions_service
from app.conversions.schemas import ConversionCreate
from app.models import Click, Post, User
from app.models.enums import Network
from tests.analytics.scenario import World, at, build, make_share
from tests.builders import Api, Role


@pytest.fixture
async def world(api: Api) -> World:
    return await build(api.db)


async def _kpis(api: Api, world: World, **params: str) -> dict[str, Any]:
    manager = await api.headers(Role.manager)
    response = await api.client.get(f"/api/v1/pilots/{world.pilot_id}/kpis", headers=manager,
                                    params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _subset(report: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        actual = report[name]
        if isinstance(value, float):
            assert actual == pytest.approx(value), name
        else:
            assert actual == value, name


TOTALS = {
    "enrolled": 3, "active_advocates": 2, "participation_rate": 2 / 3, "posts_published": 3,
    "shares": 3, "share_rate": 3 / 7, "clicks": 5, "unique_clicks": 4,
    "clicks_per_share": 5 / 3, "conversions": 2, "revenue": "150.5", "revenue_currency": "EUR",
    "revenue_by_currency": {"EUR": "150.5"}, "conversion_rate": 0.5, "reach": 1700,
    "impressions": 100, "engagements": 7, "shares_with_stats": 1, "engagement_rate": 0.07,
    "emv": "39", "emv_currency": "USD", "feedback_score": 25 / 3, "enps": 100 / 3,
}


async def test_totals_over_the_pilot(api: Api, world: World) -> None:
    report = await _kpis(api, world)
    assert (report["pilot_id"], report["from"], report["to"]) == (world.pilot_id, "2026-03-04",
                                                                  "2026-03-18")
    _subset(report, TOTALS)


async def test_breakdown_by_network(api: Api, world: World) -> None:
    by_network = (await _kpis(api, world))["by_network"]
    assert sorted(by_network) == ["linkedin", "x"]
    _subset(by_network["linkedin"], {
        "enrolled": 3, "active_advocates": 2, "shares": 2, "share_rate": 2 / 7, "clicks": 5,
        "unique_clicks": 4, "conversions": 2, "reach": 1200, "emv": "36", "impressions": 100})
    _subset(by_network["x"], {
        "active_advocates": 1, "shares": 1, "share_rate": 1 / 7, "clicks": 0,
        "unique_clicks": 0, "conversions": 0, "conversion_rate": None, "reach": 500,
        "emv": "3", "revenue": "0", "impressions": 0, "engagement_rate": None})


async def test_breakdown_by_topic_counts_a_post_in_both(api: Api, world: World) -> None:
    by_topic = (await _kpis(api, world))["by_topic"]
    assert sorted(by_topic) == sorted([world.t1, world.t2])
    _subset(by_topic[world.t1], {"posts_published": 2, "shares": 3, "share_rate": 3 / 5,
                                 "clicks": 5, "unique_clicks": 4, "conversions": 2})
    _subset(by_topic[world.t2], {"posts_published": 2, "shares": 2, "share_rate": 2 / 5,
                                 "clicks": 1, "unique_clicks": 1, "conversions": 1,
                                 "revenue": "50.5"})


async def test_breakdown_by_group(api: Api, world: World) -> None:
    by_group = (await _kpis(api, world))["by_group"]
    assert list(by_group) == [world.g1]
    _subset(by_group[world.g1], {
        "enrolled": 2, "active_advocates": 2, "participation_rate": 1.0, "posts_published": 3,
        "shares": 3, "share_rate": 3 / 5, "clicks": 5, "conversions": 2,
        "feedback_score": 7.5, "enps": 0.0})


async def test_weeks_are_clipped_to_the_range(api: Api, world: World) -> None:
    weekly = (await _kpis(api, world))["weekly"]
    assert [(w["week_start"], w["week_end"]) for w in weekly] == [
        ("2026-03-04", "2026-03-09"), ("2026-03-09", "2026-03-16"), ("2026-03-16", "2026-03-18")]
    _subset(weekly[0], {"shares": 1, "posts_published": 1, "clicks": 4, "unique_clicks": 3,
                        "conversions": 1, "reach": 1000, "active_advocates": 1,
                        "share_rate": 0.5, "feedback_score": 9.0, "enps": 100.0,
                        "impressions": 100, "emv": "30", "revenue": "100"})
    _subset(weekly[1], {"shares": 2, "posts_published": 1, "clicks": 1, "unique_clicks": 1,
                        "conversions": 1, "share_rate": 2 / 3, "feedback_score": 6.0,
                        "enps": -100.0, "impressions": 0, "shares_with_stats": 0})
    _subset(weekly[2], {"shares": 0, "posts_published": 1, "clicks": 0, "share_rate": 0.0,
                        "clicks_per_share": None, "conversion_rate": None,
                        "participation_rate": 0.0, "feedback_score": 10.0})


async def test_a_custom_range_and_zero_denominators(api: Api, world: World) -> None:
    report = await _kpis(api, world, **{"from": "2026-03-16", "to": "2026-03-17"})
    _subset(report, {"shares": 0, "clicks": 0, "clicks_per_share": None,
                     "conversion_rate": None, "engagement_rate": None, "posts_published": 1,
                     "feedback_score": 10.0})
    empty = await _kpis(api, world, **{"from": "2026-03-14", "to": "2026-03-15"})
    _subset(empty, {"feedback_score": None, "enps": None, "posts_published": 0,
                    "share_rate": None})


async def test_from_not_before_to_is_422(api: Api, world: World) -> None:
    manager = await api.headers(Role.manager)
    response = await api.client.get(f"/api/v1/pilots/{world.pilot_id}/kpis", headers=manager,
                                    params={"from": "2026-03-10", "to": "2026-03-10"})
    assert response.status_code == 422


async def test_vs_paid_compares_with_the_baseline(api: Api, world: World) -> None:
    report = await _kpis(api, world)
    vs = report["vs_paid"]
    assert vs["advocacy_rate"] == 0.5 and vs["paid_rate"] == 0.01
    assert vs["lift"] == pytest.approx(49)
    assert vs["diff"] == pytest.approx(0.49)
    half_width = 1.959963984540054 * math.sqrt(0.5 * 0.5 / 4 + 0.01 * 0.99 / 1000)
    assert vs["diff_ci95"] == pytest.approx([0.49 - half_width, 0.49 + half_width])
    pooled = 12 / 1004
    z = 0.49 / math.sqrt(pooled * (1 - pooled) * (1 / 4 + 1 / 1000))
    assert vs["z"] == pytest.approx(z)
    assert vs["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert 0 < vs["p_value"] < 1e-6
    assert any("normal approximation" in w for w in report["warnings"])


async def test_weekly_csv_has_one_row_per_week(api: Api, world: World) -> None:
    manager = await api.headers(Role.manager)
    response = await api.client.get(f"/api/v1/pilots/{world.pilot_id}/kpis.csv",
                                    headers=manager)
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("week_start,week_end,enrolled,active_advocates,")
    assert len(lines) == 4
    assert lines[1].startswith(f"{date(2026, 3, 4)},{date(2026, 3, 9)},3,1,")


async def test_several_currencies_leave_revenue_null(api: Api, world: World) -> None:
    async with api.db.transaction() as session:
        click_id = await session.scalar(select(Click.click_id).where(
            Click.share_id == world.shares["a2-p2"].id))
        await conversions_service.record(session, source="api", data=ConversionCreate(
            click_id=click_id, type="deal", value="20", currency="USD",
            occurred_at=at(14), external_id="usd-1"))
    report = await _kpis(api, world)
    assert report["revenue"] is None and report["revenue_currency"] is None
    assert report["revenue_by_currency"] == {"EUR": "150.5", "USD": "20"}
    assert report["conversions"] == 3



async def test_one_post_shared_on_two_networks_is_one_pair(api: Api, world: World) -> None:
    """a1 also shares p1 on x (week one): a share more, and a pair more on x only; the total,
    topic, group and week reports count the (advocate, post) pair and the advocate once."""
    async with api.db.transaction() as session:
        a1 = await session.get(User, world.users["a1"].id)
        assert a1 is not None
        await make_share(session, a1, world.shares["a1-p1"].post_id, Network.x, at(6, 15))
    report = await _kpis(api, world)
    _subset(report, {"shares": 4, "active_advocates": 2, "share_rate": 3 / 7, "reach": 2200})
    _subset(report["by_network"]["x"], {"shares": 2, "active_advocates": 1,
                                        "share_rate": 2 / 7})
    _subset(report["by_network"]["linkedin"], {"shares": 2, "share_rate": 2 / 7})
    _subset(report["by_topic"][world.t1], {"shares": 4, "active_advocates": 2,
                                           "share_rate": 3 / 5})
    _subset(report["by_topic"][world.t2], {"shares": 2, "active_advocates": 2})
    _subset(report["by_group"][world.g1], {"shares": 4, "active_advocates": 2,
                                           "share_rate": 3 / 5})
    _subset(report["weekly"][0], {"shares": 2, "active_advocates": 1, "share_rate": 0.5})


async def test_conversions_by_type_in_the_total_every_breakdown_and_week(
        api: Api, world: World) -> None:
    """Both attributed conversions in the range are deals: c1 on a1's linkedin share in week
    one, c2 on a2's linkedin share (p2, in both topics) in week two."""
    report = await _kpis(api, world)
    assert report["conversions_by_type"] == {"deal": 2}
    assert report["by_network"]["linkedin"]["conversions_by_type"] == {"deal": 2}
    assert report["by_network"]["x"]["conversions_by_type"] == {}
    assert report["by_topic"][world.t1]["conversions_by_type"] == {"deal": 2}
    assert report["by_topic"][world.t2]["conversions_by_type"] == {"deal": 1}
    assert report["by_group"][world.g1]["conversions_by_type"] == {"deal": 2}
    assert [w["conversions_by_type"] for w in report["weekly"]] == [{"deal": 1}, {"deal": 1},
                                                                    {}]


async def _titles(api: Api, *post_ids: str) -> list[str | None]:
    async with api.db.transaction() as session:
        return [(await session.get(Post, p)).title for p in post_ids]  # type: ignore[union-attr]


async def test_top_posts_by_clicks_then_conversions(api: Api, world: World) -> None:
    """Counted clicks in the range on the cohort's shares: p1 3 (a1's; a4 has left, bots and
    the self-click count nowhere), p2 1 and p0 1 (a1's share of 03-02, clicked 03-04); p2
    goes first of those two, with a conversion. Shares are the cohort's made in the range;
    p3 is shared in the range but never clicked in it, so it is not listed."""
    async with api.db.transaction() as session:
        a2 = await session.get(User, world.users["a2"].id)
        assert a2 is not None
        await make_share(session, a2, world.shares["a3-p3"].post_id, Network.x, at(16, 13))
    p0, p1, p2 = (world.shares[k].post_id for k in ("a1-p0", "a1-p1", "a2-p2"))
    titles = await _titles(api, p1, p2, p0)
    report = await _kpis(api, world)
    assert report["top_posts"] == [
        {"post_id": p1, "title": titles[0], "shares": 1, "clicks": 3, "conversions": 1,
         "revenue_by_currency": {"EUR": "100"}},
        {"post_id": p2, "title": titles[1], "shares": 2, "clicks": 1, "conversions": 1,
         "revenue_by_currency": {"EUR": "50.5"}},
        {"post_id": p0, "title": titles[2], "shares": 0, "clicks": 1, "conversions": 0,
         "revenue_by_currency": {}},
    ]
    for breakdown in ("by_network", "by_topic", "by_group"):
        assert all("top_posts" not in v and "roi" not in v
                   for v in report[breakdown].values())
    assert all("top_posts" not in w and "roi" not in w for w in report["weekly"])


async def test_top_posts_ties_go_by_post_id(api: Api, world: World) -> None:
    """A signup on p0's click: p0 and p2 both have one click and one conversion."""
    async with api.db.transaction() as session:
        click_id = await session.scalar(select(Click.click_id).where(
            Click.share_id == world.shares["a1-p0"].id))
        await conversions_service.record(session, source="api", data=ConversionCreate(
            click_id=click_id, type="signup", occurred_at=at(4, 13), external_id="s-1"))
    p0, p2 = world.shares["a1-p0"].post_id, world.shares["a2-p2"].post_id
    report = await _kpis(api, world)
    assert [p["post_id"] for p in report["top_posts"][1:]] == sorted([p0, p2])
    assert report["conversions_by_type"] == {"deal": 2, "signup": 1}
    assert report["weekly"][0]["conversions_by_type"] == {"deal": 1, "signup": 1}


async def test_roi_counts_revenue_in_the_emv_currency_only(api: Api, world: World) -> None:
    """emv 39, revenue 150.5 EUR. With a cost of 100 USD (the EMV currency), euros are not
    converted: (0 + 39 − 100) / 100. In EUR: (150.5 + 39 − 100) / 100."""
    manager = await api.headers(Role.manager)
    admin = await api.headers(Role.admin)
    url = f"/api/v1/pilots/{world.pilot_id}"
    assert (await _kpis(api, world))["roi"] is None  # no cost
    patched = await api.client.patch(url, headers=manager, json={"cost": "100"})
    assert patched.status_code == 200 and patched.json()["cost"] == "100"
    assert (await _kpis(api, world))["roi"] == pytest.approx(-0.61)
    emv = (await api.client.get("/api/v1/settings/emv", headers=admin)).json()
    assert (await api.client.put("/api/v1/settings/emv", headers=admin,
                                 json={**emv, "currency": "EUR"})).status_code == 200
    report = await _kpis(api, world)
    assert report["emv"] == "39" and report["roi"] == pytest.approx(0.895)
    # A range's roi weighs the whole cost, not a prorated part of it.
    week = await _kpis(api, world, **{"from": "2026-03-09", "to": "2026-03-16"})
    assert week["emv"] == "9"  # x 500 / 1000 × 6 + linkedin 200 / 1000 × 30
    assert week["roi"] == pytest.approx((50.5 + 9 - 100) / 100)
    await api.client.patch(url, headers=manager, json={"cost": "0"})
    assert (await _kpis(api, world))["roi"] is None  # a zero denominator
    cleared = await api.client.patch(url, headers=manager, json={"cost": None})
    assert cleared.json()["cost"] is None
    assert (await _kpis(api, world))["roi"] is None


async def test_weekly_csv_has_no_new_columns(api: Api, world: World) -> None:
    manager = await api.headers(Role.manager)
    response = await api.client.get(f"/api/v1/pilots/{world.pilot_id}/kpis.csv",
                                    headers=manager)
    header = response.text.splitlines()[0].split(",")
    assert header == ["week_start", "week_end", "enrolled", "active_advocates",
                      "participation_rate", "posts_published", "shares", "share_rate",
                      "clicks", "unique_clicks", "clicks_per_share", "conversions", "revenue",
                      "conversion_rate", "reach", "impressions", "engagements",
                      "engagement_rate", "emv", "feedback_score", "enps"]
