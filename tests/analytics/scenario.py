"""A small pilot built by hand, whose every KPI was computed on paper (see test_kpis.py).

Times are UTC (the default CHORUS_TIMEZONE). The pilot runs Wednesday 2026-03-04 to Tuesday
2026-03-17, so its range [03-04, 03-18) cuts its first and last ISO weeks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import Baseline, PilotCreate
from app.auth import groups as groups_service
from app.content import publisher
from app.conversions import service as conversions_service
from app.conversions.schemas import ConversionCreate
from app.core.db import Database
from app.gamification import service as gamification_service
from app.models import AdvocateVisitor, Feedback, Share, StatsSnapshot, User
from app.models.enums import Network
from app.sharing import service as sharing_service
from app.tracking.projection import ClickDraft, write_clicks
from tests.builders import make_post, make_topic, make_user


def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass
class World:
    pilot_id: str = ""
    t1: str = ""
    t2: str = ""
    g1: str = ""
    users: dict[str, User] = field(default_factory=dict)
    shares: dict[str, Share] = field(default_factory=dict)


async def _publish(session: AsyncSession, when: datetime, **kwargs: object) -> str:
    post = await make_post(session, publish_at=when - timedelta(minutes=1), **kwargs)  # type: ignore[arg-type]
    post.created_at = when - timedelta(days=1)
    await publisher.run(session, now=when)
    return post.id


async def make_share(session: AsyncSession, user: User, post_id: str, network: Network,
                 when: datetime) -> Share:
    with time_machine.travel(when, tick=False):
        share, _, _ = await sharing_service.get_or_create(session, user=user, post_id=post_id,
                                                          network=network)
    return share


def _click(share: Share, when: datetime, visitor: str, *, bot: bool = False) -> ClickDraft:
    return ClickDraft(share_id=share.id, advocate_id=share.user_id, network=share.network,
                      post_id=share.post_id,
                      click_id=f"{share.code}-{visitor}-{when:%d%H%M}-{int(bot)}",
                      occurred_at=when, day=when.date(), visitor_hash=visitor,
                      device="bot" if bot else "mobile", referrer_host=None, bot=bot,
                      session_token_hash=None)


async def build(db: Database) -> World:
    world = World()
    async with db.transaction() as session:
        t1, t2 = await make_topic(session, name="T1"), await make_topic(session, name="T2")
        g1 = await groups_service.create(session, name="G1", description=None)
        world.t1, world.t2, world.g1 = t1.id, t2.id, g1.id
        users = {
            "a1": await make_user(session, name="a1", topic_ids=[t1.id], group_ids=[g1.id]),
            "a2": await make_user(session, name="a2", group_ids=[g1.id]),
            "a3": await make_user(session, name="a3", topic_ids=[t2.id]),
            "a4": await make_user(session, name="a4", group_ids=[g1.id]),
            "o1": await make_user(session, name="o1"),
        }
        for name in ("a1", "a2", "a3", "a4", "o1"):
            users[name].created_at = at(1, month=1)  # before the program
            users[name].follower_counts = {"linkedin": {"a1": 1000, "a2": 200, "a3": 300}.get(
                name, 50), "x": 500}
        world.users = users
        p0 = await _publish(session, at(1), topic_ids=[t1.id])
        p1 = await _publish(session, at(5, 9), topic_ids=[t1.id])
        p2 = await _publish(session, at(10), topic_ids=[t1.id, t2.id])
        p3 = await _publish(session, at(16), topic_ids=[t2.id])
        await _publish(session, at(20), topic_ids=[t1.id])  # after the range
        s = world.shares
        s["a1-p0"] = await make_share(session, users["a1"], p0, Network.linkedin, at(2))
        s["a1-p1"] = await make_share(session, users["a1"], p1, Network.linkedin, at(5, 10))
        s["a1-p2"] = await make_share(session, users["a1"], p2, Network.x, at(11))
        s["a2-p2"] = await make_share(session, users["a2"], p2, Network.linkedin, at(12))
        s["a3-p3"] = await make_share(session, users["a3"], p3, Network.linkedin, at(18, 0))
        s["a4-p1"] = await make_share(session, users["a4"], p1, Network.linkedin, at(6))
        s["o1-p1"] = await make_share(session, users["o1"], p1, Network.linkedin, at(6))
        users["a4"].deactivated_at = at(15)
        # a1 used visitor "a1-phone" while signed in on 03-05: its click there is a self-click.
        session.add(AdvocateVisitor(user_id=users["a1"].id, day=at(5).date(),
                                    visitor_hash="a1-phone"))
        await session.flush()
        clicks = await write_clicks(session, [
            _click(s["a1-p0"], at(4), "v9"),
            _click(s["a1-p1"], at(5, 13), "v1"),
            _click(s["a1-p1"], at(5, 14), "v1"),
            _click(s["a1-p1"], at(6), "v2"),
            _click(s["a1-p1"], at(6, 13), "crawler", bot=True),
            _click(s["a1-p1"], at(7), "crawler", bot=True),
            _click(s["a1-p1"], at(5, 15), "a1-phone"),
            _click(s["a2-p2"], at(12, 18), "v3"),
            _click(s["a4-p1"], at(7), "v4"),
            _click(s["a4-p1"], at(8), "v5"),
            _click(s["a3-p3"], at(18, 1), "v6"),
            _click(s["o1-p1"], at(7), "v7"),
        ], hooks=[gamification_service.award_clicks])
        ids = {c.click_id for c in clicks}
        v1_first = f"{s['a1-p1'].code}-v1-{at(5, 13):%d%H%M}-0"
        v3 = f"{s['a2-p2'].code}-v3-{at(12, 18):%d%H%M}-0"
        v7 = f"{s['o1-p1'].code}-v7-{at(7):%d%H%M}-0"
        assert {v1_first, v3, v7} <= ids
        for external_id, click_id, value, when in [
            ("c1", v1_first, "100", at(5, 16)),
            ("c1", v1_first, "999", at(5, 17)),  # a replay: ignored
            ("c2", v3, "50.50", at(13)),
            ("c3", "no-such-click-000000", "70", at(13)),  # unattributed
            ("c4", v7, "10", at(8)),  # the outsider's share
        ]:
            await conversions_service.record(session, source="api", data=ConversionCreate(
                click_id=click_id, type="deal", value=value, currency="EUR",
                occurred_at=when, external_id=external_id))
        session.add_all([
            StatsSnapshot(share_id=s["a1-p1"].id, taken_at=at(6), source="manual",
                          impressions=100, likes=5, comments=1, reshares=1),
            StatsSnapshot(share_id=s["a1-p1"].id, taken_at=at(20), source="manual",
                          impressions=999, likes=99, comments=9, reshares=9),
        ])
        pilot = await pilots_service.create(session, data=PilotCreate(
            name="Spring", starts_on=at(4).date(), ends_on=at(17).date(), group_ids=[g1.id],
            user_ids=[users["a3"].id], baseline=Baseline(paid_visits=1000,
                                                         paid_conversions=10)))
        for user, score, when in [("a1", 9, at(5)), ("a2", 6, at(10)), ("a3", 10, at(16)),
                                  ("o1", 0, at(10)), ("a1", 2, at(18))]:
            session.add(Feedback(pilot_id=pilot.id, user_id=users[user].id, score=score,
                                 week_starts_on=when.date() - timedelta(days=when.weekday()),
                                 created_at=when))
        world.pilot_id = pilot.id
    return world
