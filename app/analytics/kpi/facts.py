"""Everything a KPI report needs, read in a few set-based queries (clicks come from the
per-share daily totals, never from the clicks table)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.settings import emv_settings
from app.models import (
    Conversion,
    Feedback,
    Post,
    PostTopic,
    Share,
    ShareDay,
    StatsSnapshot,
    User,
    user_groups,
    user_topics,
)


@dataclass(frozen=True)
class Advocate:
    id: str
    topics: frozenset[str]
    groups: frozenset[str]

    def sees(self, post_topics: frozenset[str]) -> bool:
        """§3: a post is visible to an advocate who follows one of its topics, or none."""
        return not self.topics or bool(self.topics & post_topics)


@dataclass(frozen=True)
class PostFact:
    id: str
    published_at: datetime
    topics: frozenset[str]


@dataclass
class ShareFact:
    id: str
    user_id: str
    post_id: str
    network: str
    followers: int
    created_at: datetime
    topics: frozenset[str]
    clicks_by_day: dict[date, tuple[int, int]] = field(default_factory=dict)
    snapshots: list[tuple[datetime, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class ConversionFact:
    share_id: str
    occurred_at: datetime
    value: Decimal | None
    currency: str


@dataclass
class Facts:
    tz: ZoneInfo
    start: date
    end: date
    advocates: dict[str, Advocate]
    posts: dict[str, PostFact]
    shares: dict[str, ShareFact]
    conversions: list[ConversionFact]
    feedback: list[tuple[str, datetime, int]]
    cpm: dict[str, Decimal]
    emv_currency: str


async def _advocates(session: AsyncSession, cohort: set[str] | None,
                     cutoff: datetime) -> dict[str, Advocate]:
    """Cohort users not deactivated at ``cutoff`` (None: the whole organisation)."""
    stmt = select(User.id).where(or_(User.deactivated_at.is_(None),
                                     User.deactivated_at > cutoff))
    if cohort is not None:
        stmt = stmt.where(User.id.in_(cohort))
    ids = set(await session.scalars(stmt))
    topics: dict[str, set[str]] = defaultdict(set)
    groups: dict[str, set[str]] = defaultdict(set)
    if ids:
        for uid, tid in await session.execute(
                select(user_topics.c.user_id, user_topics.c.topic_id)
                .where(user_topics.c.user_id.in_(ids))):
            topics[uid].add(tid)
        for uid, gid in await session.execute(
                select(user_groups.c.user_id, user_groups.c.group_id)
                .where(user_groups.c.user_id.in_(ids))):
            groups[uid].add(gid)
    return {u: Advocate(u, frozenset(topics[u]), frozenset(groups[u])) for u in ids}


async def _post_topics(session: AsyncSession, post_ids: set[str]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    if post_ids:
        for pid, tid in await session.execute(
                select(PostTopic.post_id, PostTopic.topic_id)
                .where(PostTopic.post_id.in_(post_ids))):
            found[pid].add(tid)
    return {pid: frozenset(found[pid]) for pid in post_ids}


async def load(session: AsyncSession, *, tz: ZoneInfo, cohort: set[str] | None, start: date,
               end: date, start_at: datetime, end_at: datetime, cutoff: datetime,
               pilot_id: str | None) -> Facts:
    advocates = await _advocates(session, cohort, cutoff)
    ids = set(advocates)
    posts_rows = (await session.execute(
        select(Post.id, Post.published_at)
        .where(Post.published_at >= start_at, Post.published_at < end_at))).all()
    share_cols = (Share.id, Share.user_id, Share.post_id, Share.network, Share.follower_count,
                  Share.created_at)
    shares_rows = list((await session.execute(
        select(*share_cols).where(Share.user_id.in_(ids), Share.created_at >= start_at,
                                  Share.created_at < end_at))).all()) if ids else []
    day_rows = (await session.execute(
        select(ShareDay.share_id, ShareDay.day, ShareDay.clicks, ShareDay.unique_clicks)
        .join(Share, Share.id == ShareDay.share_id)
        .where(Share.user_id.in_(ids), ShareDay.day >= start, ShareDay.day < end))).all() \
        if ids else []
    conversion_rows = (await session.execute(
        select(Conversion.share_id, Conversion.occurred_at, Conversion.value,
               Conversion.currency)
        .where(Conversion.attributed.is_(True), Conversion.advocate_id.in_(ids),
               Conversion.occurred_at >= start_at, Conversion.occurred_at < end_at))).all() \
        if ids else []
    known = {r[0] for r in shares_rows}
    extra = ({r[0] for r in day_rows} | {r[0] for r in conversion_rows}) - known
    if extra:
        shares_rows += list((await session.execute(
            select(*share_cols).where(Share.id.in_(extra)))).all())
    topics = await _post_topics(session, {r[0] for r in posts_rows} | {r[2] for r in shares_rows})
    shares = {r[0]: ShareFact(r[0], r[1], r[2], str(r[3]), r[4], r[5], topics[r[2]])
              for r in shares_rows}
    for sid, day, clicks, unique in day_rows:
        shares[sid].clicks_by_day[day] = (clicks, unique)
    if known:
        for sid, taken_at, impressions, likes, comments, reshares in await session.execute(
                select(StatsSnapshot.share_id, StatsSnapshot.taken_at,
                       StatsSnapshot.impressions, StatsSnapshot.likes, StatsSnapshot.comments,
                       StatsSnapshot.reshares)
                .where(StatsSnapshot.share_id.in_(known), StatsSnapshot.taken_at < end_at)
                .order_by(StatsSnapshot.taken_at, StatsSnapshot.id)):
            shares[sid].snapshots.append((taken_at, impressions, likes + comments + reshares))
    feedback_stmt = select(Feedback.user_id, Feedback.created_at, Feedback.score).where(
        Feedback.user_id.in_(ids), Feedback.created_at >= start_at, Feedback.created_at < end_at)
    if pilot_id is not None:
        feedback_stmt = feedback_stmt.where(Feedback.pilot_id == pilot_id)
    feedback = [(uid, at, score) for uid, at, score in
                (await session.execute(feedback_stmt)).all()] if ids else []
    settings = await emv_settings(session)
    return Facts(
        tz=tz, start=start, end=end, advocates=advocates,
        posts={pid: PostFact(pid, at, topics[pid]) for pid, at in posts_rows if at is not None},
        shares=shares,
        conversions=[ConversionFact(sid, at, Decimal(v) if v is not None else None, cur)
                     for sid, at, v, cur in conversion_rows if sid is not None],
        feedback=feedback, cpm={str(k): v for k, v in settings.cpm.items()},
        emv_currency=settings.currency,
    )
