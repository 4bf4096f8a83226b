"""The KPIs the database sums per report key equal, to the last digit, what a row-by-row
reading of CONTRACT §6 gives (``oracle.py``), on random programs in Europe/Berlin around a
DST change: cohorts of groups and users, deactivations, posts in zero to two topics,
advocates following zero to two, several shares of one post, bots, self-clicks, repeated
visitors, clicks and conversions before, inside and after the range, stats snapshots and
feedback. Each seed checks the pilot's own range, a random range (weeks cut at both ends)
and the whole organisation without weeks (what OKRs read)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from app.analytics.kpi.compute import Reports, reports
from app.analytics.kpi.facts import cohort_of_pilot
from app.analytics.kpi.service import facts_for, weeks
from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import PilotCreate
from app.core.config import Settings
from app.core.db import Database, new_id
from app.models import (
    AdvocateVisitor,
    Conversion,
    Feedback,
    Group,
    Post,
    PostTopic,
    Share,
    StatsSnapshot,
    Topic,
    User,
    user_groups,
    user_topics,
)
from app.models.enums import Category, Network, PostStatus, Role
from app.tracking.recorder import ClickDraft, write_clicks
from tests.analytics.oracle import oracle
from tests.conftest import SECRET

TZ = ZoneInfo("Europe/Berlin")
PILOT_START, PILOT_END = date(2026, 3, 11), date(2026, 4, 14)  # DST starts 2026-03-29
FIRST, LAST = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 25, tzinfo=UTC)
NETWORKS = (Network.linkedin, Network.x, Network.facebook, Network.email)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, secret_key=SECRET,  # type: ignore[call-arg]
                    timezone="Europe/Berlin")


def _moment(rng: random.Random, after: datetime = FIRST, before: datetime = LAST) -> datetime:
    seconds = int((before - after).total_seconds())
    return after + timedelta(seconds=rng.randrange(max(seconds, 1)))


async def _program(db: Database, rng: random.Random) -> tuple[str, list[str]]:
    """A random program; the pilot's id and every user id."""
    async with db.transaction() as session:
        topics = [Topic(name=f"T{i}", slug=f"t{i}") for i in range(3)]
        groups = [Group(name=f"G{i}") for i in range(3)]
        users = [User(email=f"u{i}@corp.test", name=f"U{i}", role=Role.advocate,
                      follower_counts={}) for i in range(20)]
        session.add_all([*topics, *groups, *users])
        await session.flush()
        for user in users:
            for topic in rng.sample(topics, rng.choice((0, 0, 1, 2))):
                await session.execute(insert(user_topics).values(user_id=user.id,
                                                                 topic_id=topic.id))
            for group in rng.sample(groups, rng.choice((0, 1, 1, 2))):
                await session.execute(insert(user_groups).values(user_id=user.id,
                                                                 group_id=group.id))
            if rng.random() < 0.15:
                user.deactivated_at = _moment(rng)
        posts = []
        for i in range(14):
            published = _moment(rng, FIRST, LAST - timedelta(days=8))
            post = Post(url=f"https://example.com/{i}", category=Category.curated, captions={},
                        status=PostStatus.published, published_at=published,
                        created_at=published - timedelta(hours=1))
            session.add(post)
            await session.flush()
            for topic in rng.sample(topics, rng.choice((0, 1, 1, 2))):
                session.add(PostTopic(post_id=post.id, topic_id=topic.id,
                                      published_at=published, category=Category.curated))
            posts.append(post)
        shares = []
        for user in users:
            for post in rng.sample(posts, rng.randrange(1, 7)):
                assert post.published_at is not None
                for network in rng.sample(NETWORKS, rng.choice((1, 1, 1, 2))):
                    share = Share(code=new_id()[:10], user_id=user.id, post_id=post.id,
                                  network=network, caption="",
                                  follower_count=rng.randrange(0, 3000),
                                  created_at=_moment(rng, post.published_at,
                                                     post.published_at + timedelta(days=6)))
                    session.add(share)
                    shares.append(share)
        await session.flush()
        drafts, day_visitors = [], set()
        for share in shares:
            for n in range(rng.randrange(10)):
                at = _moment(rng, share.created_at, share.created_at + timedelta(days=9))
                visitor = f"v{rng.randrange(6)}"
                if rng.random() < 0.1:
                    visitor = f"self-{share.user_id}"
                    day_visitors.add((share.user_id, at.date(), visitor))
                drafts.append(ClickDraft(
                    share_id=share.id, advocate_id=share.user_id, network=share.network,
                    post_id=share.post_id, click_id=f"{share.code}-{n}", occurred_at=at,
                    day=at.date(), visitor_hash=visitor, device="mobile", referrer_host=None,
                    bot=rng.random() < 0.15, session_token_hash=None))
        session.add_all([AdvocateVisitor(user_id=u, day=d, visitor_hash=v)
                         for u, d, v in day_visitors])
        await session.flush()
        drafts.sort(key=lambda d: d.occurred_at)
        recorded = await write_clicks(session, drafts, now=LAST)
        for i, click in enumerate(rng.sample(recorded, min(len(recorded), 25))):
            counted = not click.bot and not click.is_self
            session.add(Conversion(
                external_id=f"c{i}", click_id=click.click_id,
                share_id=click.share_id if counted else None,
                advocate_id=click.advocate_id if counted else None,
                post_id=click.post_id if counted else None,
                network=click.network if counted else None, attributed=counted,
                type="deal", value=rng.choice((None, "10", "2.50", "99.99")),
                currency=rng.choice(("EUR", "EUR", "USD")),
                occurred_at=_moment(rng, click.occurred_at,
                                    click.occurred_at + timedelta(days=3)),
                source="api"))
        for share in rng.sample(shares, len(shares) // 3):
            for _ in range(rng.randrange(1, 3)):
                session.add(StatsSnapshot(
                    share_id=share.id, source="manual",
                    taken_at=_moment(rng, share.created_at, share.created_at
                                     + timedelta(days=12)),
                    impressions=rng.randrange(1000), likes=rng.randrange(20),
                    comments=rng.randrange(5), reshares=rng.randrange(5)))
        pilot = await pilots_service.create(session, data=PilotCreate(
            name="Random", starts_on=PILOT_START, ends_on=PILOT_END,
            group_ids=[g.id for g in rng.sample(groups, rng.randrange(1, 3))],
            user_ids=[u.id for u in rng.sample(users, 2)], baseline=None))
        for user in users:
            week = PILOT_START - timedelta(days=PILOT_START.weekday())
            while week <= PILOT_END:
                if rng.random() < 0.5:
                    session.add(Feedback(
                        pilot_id=pilot.id, user_id=user.id, week_starts_on=week,
                        score=rng.randrange(11), created_at=_moment(
                            rng, datetime(week.year, week.month, week.day, tzinfo=UTC),
                            datetime(week.year, week.month, week.day, tzinfo=UTC)
                            + timedelta(days=7))))
                week += timedelta(days=7)
        return pilot.id, [u.id for u in users]


def _as_data(result: Reports) -> dict[str, Any]:
    return {"total": result.total, "by_network": result.by_network,
            "by_topic": result.by_topic, "by_group": result.by_group, "weekly": result.weekly}


@pytest.mark.parametrize("seed", range(6))
async def test_database_sums_equal_the_contract_read_row_by_row(db: Database,
                                                                seed: int) -> None:
    rng = random.Random(seed)
    pilot_id, _ = await _program(db, rng)
    async with db.transaction() as session:
        cohort = set((await session.execute(cohort_of_pilot(pilot_id))).scalars())
    span = (PILOT_START - timedelta(days=rng.randrange(10)),
            PILOT_END + timedelta(days=rng.randrange(1, 10)))
    for start, end in [(PILOT_START, PILOT_END + timedelta(days=1)), span]:
        async with db.transaction() as session:
            got = reports(await facts_for(session, cohort=cohort_of_pilot(pilot_id),
                                          start=start, end=end, pilot_id=pilot_id,
                                          weekly=True))
            want = await oracle(session, tz=TZ, cohort=cohort, pilot_id=pilot_id,
                                start=start, end=end, weeks=weeks(start, end))
        assert _as_data(got) == _as_data(want), (seed, start, end)
        assert got.total["shares"] > 0 and got.total["clicks"] > 0, "an empty program"
    async with db.transaction() as session:
        got = reports(await facts_for(session, cohort=None, start=span[0], end=span[1],
                                      pilot_id=None))
        want = await oracle(session, tz=TZ, cohort=None, pilot_id=None, start=span[0],
                            end=span[1], weeks=[])
    assert got.total == want.total, seed
