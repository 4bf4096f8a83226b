"""Everything a KPI report needs, read in a few set-based queries (clicks come from the
per-share daily totals, never from the clicks table)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, case, func, literal, or_, select
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
    pilot_groups,
    pilot_users,
    user_groups,
    user_topics,
)


def can_see(followed: frozenset[str], post_topics: frozenset[str]) -> bool:
    """§3: a post is visible to an advocate who follows one of its topics, or none."""
    return not followed or bool(followed & post_topics)


@dataclass(frozen=True)
class Advocate:
    id: str
    topics: frozenset[str]
    groups: frozenset[str]


@dataclass(frozen=True)
class PostFact:
    id: str
    published_at: datetime
    topics: frozenset[str]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an event happened: the share's advocate, network and post (its topics)."""

    user_id: str
    network: str
    post_id: str


@dataclass
class ShareFact:
    id: str
    origin: Origin
    followers: int
    created_at: datetime
    snapshots: list[tuple[datetime, int, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ClickFact:
    """Counted clicks on one share in one week of the report (0 without weeks)."""

    origin: Origin
    week: int
    clicks: int
    unique: int


@dataclass(frozen=True, slots=True)
class ConversionFact:
    origin: Origin
    occurred_at: datetime
    value: Decimal | None
    currency: str


@dataclass
class Facts:
    tz: ZoneInfo
    start: date
    end: date
    weeks: list[tuple[date, date]]
    advocates: dict[str, Advocate]
    posts: dict[str, PostFact]
    topics: dict[str, frozenset[str]]  # of every post an event below names
    shares: dict[str, ShareFact]  # created in the range
    clicks: list[ClickFact]
    conversions: list[ConversionFact]
    feedback: list[tuple[str, datetime, int]]
    cpm: dict[str, Decimal]
    emv_currency: str


def cohort_of_pilot(pilot_id: str) -> CompoundSelect:
    """The current members of the pilot's groups plus its listed users, as SQL: the cohort
    stays in the database (a list of a thousand ids as parameters defeats the planner)."""
    return select(pilot_users.c.user_id).where(pilot_users.c.pilot_id == pilot_id).union(
        select(user_groups.c.user_id)
        .join(pilot_groups, pilot_groups.c.group_id == user_groups.c.group_id)
        .where(pilot_groups.c.pilot_id == pilot_id))


async def load(session: AsyncSession, *, tz: ZoneInfo, cohort: CompoundSelect | None,
               start: date, end: date, start_at: datetime, end_at: datetime, cutoff: datetime,
               pilot_id: str | None, weeks: Sequence[tuple[date, date]] = ()) -> Facts:
    """``cohort``: the users to report on (None: the whole organisation); those deactivated
    at ``cutoff`` are left out."""
    enrolled = select(User.id).where(or_(User.deactivated_at.is_(None),
                                         User.deactivated_at > cutoff))
    if cohort is not None:
        enrolled = enrolled.where(User.id.in_(cohort))
    # Core results, not ORM ones: tens of thousands of plain rows.
    db = await session.connection()
    ids = set(await session.scalars(enrolled))
    topics_of: dict[str, set[str]] = defaultdict(set)
    groups_of: dict[str, set[str]] = defaultdict(set)
    for uid, tid in await db.execute(select(user_topics.c.user_id, user_topics.c.topic_id)
                                          .where(user_topics.c.user_id.in_(enrolled))):
        topics_of[uid].add(tid)
    for uid, gid in await db.execute(select(user_groups.c.user_id, user_groups.c.group_id)
                                          .where(user_groups.c.user_id.in_(enrolled))):
        groups_of[uid].add(gid)
    advocates = {u: Advocate(u, frozenset(topics_of[u]), frozenset(groups_of[u])) for u in ids}

    in_range_days = (ShareDay.day >= start) & (ShareDay.day < end)
    converted = (Conversion.attributed.is_(True) & (Conversion.occurred_at >= start_at)
                 & (Conversion.occurred_at < end_at))
    created = (Share.created_at >= start_at) & (Share.created_at < end_at)
    origins: dict[str, Origin] = {}

    def origin(share_id: str, user_id: str, network: Any, post_id: str) -> Origin:
        found = origins.get(share_id)
        if found is None:
            found = origins[share_id] = Origin(user_id, str(network), post_id)
        return found

    shares = {sid: ShareFact(sid, origin(sid, uid, network, pid), followers, at)
              for sid, uid, network, pid, followers, at in await db.execute(
                  select(Share.id, Share.user_id, Share.network, Share.post_id,
                         Share.follower_count, Share.created_at)
                  .where(Share.user_id.in_(enrolled), created))}
    published = ((Post.published_at >= start_at) & (Post.published_at < end_at))
    posts_rows = (await db.execute(
        select(Post.id, Post.published_at).where(published))).all()
    topics: dict[str, set[str]] = defaultdict(set)
    for pid, tid in await db.execute(
            select(PostTopic.post_id, PostTopic.topic_id).where(or_(
                PostTopic.post_id.in_(select(Post.id).where(published)),
                PostTopic.post_id.in_(select(Share.post_id).where(
                    Share.user_id.in_(enrolled)).distinct())))):
        topics[pid].add(tid)
    # Daily totals summed per share and week in the database: a pilot's clicks are read as
    # one row per share and week, not one per click or day.
    bucket = (case(*[(ShareDay.day < week_end, index)
                     for index, (_, week_end) in enumerate(weeks)], else_=len(weeks) - 1)
              if weeks else literal(0)).label("week")
    per_week = (
        select(ShareDay.share_id, bucket, func.sum(ShareDay.clicks).label("clicks"),
               func.sum(ShareDay.unique_clicks).label("unique_clicks"))
        .join(Share, Share.id == ShareDay.share_id)
        .where(Share.user_id.in_(enrolled), in_range_days)
        .group_by(ShareDay.share_id, bucket)
    ).subquery()
    # Aggregated on a narrow key first (it stays in memory), then joined to its share.
    clicks = [ClickFact(origin(sid, uid, network, pid), int(week), int(n), int(unique))
              for sid, uid, network, pid, week, n, unique in await db.execute(
                  select(Share.id, Share.user_id, Share.network, Share.post_id,
                         per_week.c.week, per_week.c.clicks, per_week.c.unique_clicks)
                  .join(per_week, per_week.c.share_id == Share.id))]
    conversions = [
        ConversionFact(origin(sid, uid, network, pid), at,
                       Decimal(value) if value is not None else None, currency)
        for sid, uid, network, pid, at, value, currency in await db.execute(
            select(Share.id, Share.user_id, Share.network, Share.post_id,
                   Conversion.occurred_at, Conversion.value, Conversion.currency)
            .join(Share, Share.id == Conversion.share_id)
            .where(converted, Conversion.advocate_id.in_(enrolled)))]
    for sid, taken_at, impressions, likes, comments, reshares in await db.execute(
            select(StatsSnapshot.share_id, StatsSnapshot.taken_at, StatsSnapshot.impressions,
                   StatsSnapshot.likes, StatsSnapshot.comments, StatsSnapshot.reshares)
            .join(Share, Share.id == StatsSnapshot.share_id)
            .where(Share.user_id.in_(enrolled), created, StatsSnapshot.taken_at < end_at)
            .order_by(StatsSnapshot.taken_at, StatsSnapshot.id)):
        shares[sid].snapshots.append((taken_at, impressions, likes + comments + reshares))
    feedback_stmt = select(Feedback.user_id, Feedback.created_at, Feedback.score).where(
        Feedback.user_id.in_(enrolled), Feedback.created_at >= start_at,
        Feedback.created_at < end_at)
    if pilot_id is not None:
        feedback_stmt = feedback_stmt.where(Feedback.pilot_id == pilot_id)
    feedback = [(uid, at, score) for uid, at, score in (await db.execute(feedback_stmt))]
    settings = await emv_settings(session)
    return Facts(
        tz=tz, start=start, end=end, weeks=list(weeks), advocates=advocates,
        posts={pid: PostFact(pid, at, frozenset(topics[pid])) for pid, at in posts_rows
               if at is not None},
        topics={pid: frozenset(t) for pid, t in topics.items()},
        shares=shares, clicks=clicks, conversions=conversions,
        feedback=feedback, cpm={str(k): v for k, v in settings.cpm.items()},
        emv_currency=settings.currency,
    )
