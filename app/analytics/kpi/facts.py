"""Everything a KPI report needs, read in a few set-based queries (clicks come from the
per-share daily totals, never from the clicks table)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, case, exists, func, literal, or_, select
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


@dataclass
class ShareFact:
    id: str
    user_id: str
    post_id: str
    network: str
    followers: int
    created_at: datetime
    topics: frozenset[str]
    # (clicks, unique clicks) per week of the report (index into Facts.weeks; 0 without weeks)
    clicks_by_week: dict[int, tuple[int, int]] = field(default_factory=dict)
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
    weeks: list[tuple[date, date]]
    advocates: dict[str, Advocate]
    posts: dict[str, PostFact]
    shares: dict[str, ShareFact]
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
    ids = set(await session.scalars(enrolled))
    topics_of: dict[str, set[str]] = defaultdict(set)
    groups_of: dict[str, set[str]] = defaultdict(set)
    for uid, tid in await session.execute(select(user_topics.c.user_id, user_topics.c.topic_id)
                                          .where(user_topics.c.user_id.in_(enrolled))):
        topics_of[uid].add(tid)
    for uid, gid in await session.execute(select(user_groups.c.user_id, user_groups.c.group_id)
                                          .where(user_groups.c.user_id.in_(enrolled))):
        groups_of[uid].add(gid)
    advocates = {u: Advocate(u, frozenset(topics_of[u]), frozenset(groups_of[u])) for u in ids}

    in_range_days = (ShareDay.day >= start) & (ShareDay.day < end)
    converted = (Conversion.attributed.is_(True) & (Conversion.occurred_at >= start_at)
                 & (Conversion.occurred_at < end_at))
    created = (Share.created_at >= start_at) & (Share.created_at < end_at)
    # The shares a report touches: made in the range, or clicked or converted in it.
    touched = select(Share.id).where(Share.user_id.in_(enrolled)).where(or_(
        created,
        exists().where(ShareDay.share_id == Share.id, in_range_days),
        exists().where(Conversion.share_id == Share.id, converted),
    ))
    shares_rows = (await session.execute(
        select(Share.id, Share.user_id, Share.post_id, Share.network, Share.follower_count,
               Share.created_at).where(Share.id.in_(touched)))).all()
    published = ((Post.published_at >= start_at) & (Post.published_at < end_at))
    posts_rows = (await session.execute(
        select(Post.id, Post.published_at).where(published))).all()
    topics: dict[str, set[str]] = defaultdict(set)
    for pid, tid in await session.execute(
            select(PostTopic.post_id, PostTopic.topic_id).where(or_(
                PostTopic.post_id.in_(select(Post.id).where(published)),
                PostTopic.post_id.in_(select(Share.post_id).where(Share.id.in_(touched)))))):
        topics[pid].add(tid)
    shares = {r[0]: ShareFact(r[0], r[1], r[2], str(r[3]), r[4], r[5], frozenset(topics[r[2]]))
              for r in shares_rows}
    # Daily totals summed per share and week in the database: a pilot's clicks are read as
    # one row per share and week, not one per click or day.
    bucket = (case(*[(ShareDay.day < week_end, index)
                     for index, (_, week_end) in enumerate(weeks)], else_=len(weeks) - 1)
              if weeks else literal(0)).label("week")
    for sid, week, clicks, unique in await session.execute(
            select(ShareDay.share_id, bucket, func.sum(ShareDay.clicks),
                   func.sum(ShareDay.unique_clicks))
            .join(Share, Share.id == ShareDay.share_id)
            .where(Share.user_id.in_(enrolled), in_range_days)
            .group_by(ShareDay.share_id, bucket)):
        shares[sid].clicks_by_week[int(week)] = (int(clicks), int(unique))
    conversion_rows = (await session.execute(
        select(Conversion.share_id, Conversion.occurred_at, Conversion.value,
               Conversion.currency)
        .where(converted, Conversion.advocate_id.in_(enrolled)))).all()
    for sid, taken_at, impressions, likes, comments, reshares in await session.execute(
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
    feedback = [(uid, at, score) for uid, at, score in (await session.execute(feedback_stmt))]
    settings = await emv_settings(session)
    return Facts(
        tz=tz, start=start, end=end, weeks=list(weeks), advocates=advocates,
        posts={pid: PostFact(pid, at, frozenset(topics[pid])) for pid, at in posts_rows
               if at is not None},
        shares=shares,
        conversions=[ConversionFact(sid, at, Decimal(v) if v is not None else None, cur)
                     for sid, at, v, cur in conversion_rows if sid is not None],
        feedback=feedback, cpm={str(k): v for k, v in settings.cpm.items()},
        emv_currency=settings.currency,
    )
