"""The points ledger (CONTRACT §5): once per event, rules apply forward, the daily cap."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.content import publisher
from app.core.db import Database
from app.gamification import service as gamification_service
from app.models import PeriodStats, PointsEntry, Share
from app.models.enums import Network
from app.sharing import service as sharing_service
from app.tracking.projection import ClickDraft, write_clicks
from tests.builders import Api, Role, make_post, make_user


async def _share(db: Database) -> Share:
    async with db.transaction() as session:
        post = await make_post(session)
        await publisher.run(session)
        user = await make_user(session)
        share, _, _ = await sharing_service.get_or_create(session, user=user, post_id=post.id,
                                                          network=Network.linkedin)
    return share


async def _ledger(db: Database, user_id: str) -> list[tuple[str, int]]:
    async with db.transaction() as session:
        rows = await session.execute(select(PointsEntry.kind, PointsEntry.points)
                                     .where(PointsEntry.user_id == user_id)
                                     .order_by(PointsEntry.occurred_at, PointsEntry.event_key))
        return [(k, p) for k, p in rows]


async def _all_time(db: Database, user_id: str) -> PeriodStats | None:
    async with db.transaction() as session:
        return await session.scalar(select(PeriodStats).where(
            PeriodStats.user_id == user_id, PeriodStats.period == "all"))


def _clicks(share: Share, when: datetime, visitors: list[str]) -> list[ClickDraft]:
    return [ClickDraft(share_id=share.id, advocate_id=share.user_id, network=share.network,
                       post_id=share.post_id,
                       click_id=f"{share.code}{when:%d%H%M}{i:04d}", occurred_at=when,
                       day=when.date(), visitor_hash=v, device="mobile", referrer_host=None,
                       bot=False, session_token_hash=None) for i, v in enumerate(visitors)]


async def test_a_share_awards_once_even_when_replayed(api: Api) -> None:
    share = await _share(api.db)
    async with api.db.transaction() as session:
        await gamification_service.on_share_created(session, share)
    await asyncio.gather(*[_replay_share(api.db, share) for _ in range(3)])
    assert await _ledger(api.db, share.user_id) == [("share", 10)]
    stats = await _all_time(api.db, share.user_id)
    assert stats is not None and (stats.points, stats.shares) == (10, 1)


async def _replay_share(db: Database, share: Share) -> None:
    async with db.transaction() as session:
        await gamification_service.on_share_created(session, share)


async def test_replayed_clicks_award_and_count_once(api: Api) -> None:
    share = await _share(api.db)
    when = datetime(2026, 5, 4, 10, tzinfo=UTC)
    drafts = _clicks(share, when, ["a", "b", "b"])
    async with api.db.transaction() as session:
        clicks = await write_clicks(session, drafts, hooks=[gamification_service.award_clicks])
    async with api.db.transaction() as session:
        await gamification_service.on_clicks(session, clicks)
    assert sorted(await _ledger(api.db, share.user_id)) == sorted(
        [("share", 10), ("click", 2), ("click", 2), ("click", 0)])
    stats = await _all_time(api.db, share.user_id)
    assert stats is not None and (stats.points, stats.clicks) == (14, 3)


async def test_the_daily_click_cap_holds_at_the_boundary(api: Api) -> None:
    share = await _share(api.db)
    day = datetime(2026, 5, 4, 9, tzinfo=UTC)
    async with api.db.transaction() as session:
        await write_clicks(session, _clicks(share, day, [f"v{i}" for i in range(24)]),
                           hooks=[gamification_service.award_clicks])
    async with api.db.transaction() as session:
        later = day + timedelta(hours=14, minutes=59)
        await write_clicks(session, _clicks(share, later, ["w1", "w2"]),
                           hooks=[gamification_service.award_clicks])
    next_day = datetime(2026, 5, 5, 0, 0, tzinfo=UTC)
    async with api.db.transaction() as session:
        await write_clicks(session, _clicks(share, next_day, ["x1"]),
                           hooks=[gamification_service.award_clicks])
    clicks = [p for kind, p in await _ledger(api.db, share.user_id) if kind == "click"]
    # 24 × 2 = 48, the 25th reaches 50, the 26th gets nothing; a new day starts again.
    assert clicks == [2] * 24 + [2, 0] + [2]
    stats = await _all_time(api.db, share.user_id)
    assert stats is not None and stats.points == 10 + 50 + 2


async def test_a_rule_change_applies_to_later_events_only(api: Api) -> None:
    admin = await api.headers(Role.admin)
    first = await _share(api.db)
    rules = (await api.client.get("/api/v1/settings/points", headers=admin)).json()
    assert rules == {"share_created": 10, "unique_click": 2, "unique_click_daily_cap": 50,
                     "attributed_conversion": 20, "suggestion_approved": 15}
    changed = await api.client.put("/api/v1/settings/points", headers=admin,
                                   json={**rules, "share_created": 4})
    assert changed.status_code == 200 and changed.json()["share_created"] == 4
    second = await _share(api.db)
    assert await _ledger(api.db, first.user_id) == [("share", 10)]
    assert await _ledger(api.db, second.user_id) == [("share", 4)]
    bad = await api.client.put("/api/v1/settings/points", headers=admin,
                               json={**rules, "share_created": -1})
    assert bad.status_code == 422


async def test_conversions_and_approved_suggestions_earn_points(api: Api) -> None:
    marketer = await api.headers(Role.marketer)
    suggester, suggester_headers = await api.user()
    suggestion = (await api.client.post("/api/v1/suggestions", headers=suggester_headers,
                                        json={"url": "https://example.org/x",
                                              "topic_ids": []})).json()
    await api.client.post(f"/api/v1/posts/{suggestion['id']}/approve", headers=marketer,
                          json={"category": "curated"})
    assert await _ledger(api.db, suggester.id) == [("suggestion", 15)]
    async with api.db.transaction() as session:
        ledger_rows = await session.scalar(select(func.count()).select_from(PointsEntry))
    assert ledger_rows == 1
