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

from sqlalchemy import CompoundSelect, Select, case, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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


Counts = tuple[int, int]  # clicks, unique clicks


@dataclass
class ClickTotals:
    """The range's counted clicks, summed the two ways every report is made of: per
    (network, post, week of the report) and per advocate (0 is the week without weeks)."""

    by_post_week: dict[tuple[str, str, int], Counts] = field(default_factory=dict)
    by_user: dict[str, Counts] = field(default_factory=dict)


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
    clicks: ClickTotals
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

    converted = (Conversion.attributed.is_(True) & (Conversion.occurred_at >= start_at)
                 & (Conversion.occurred_at < end_at))
    created = (Share.created_at >= start_at) & (Share.created_at < end_at)
    shares = {sid: ShareFact(sid, Origin(uid, str(network), pid), followers, at)
              for sid, uid, network, pid, followers, at in (await db.execute(
                  select(Share.id, Share.user_id, Share.network, Share.post_id,
                         Share.follower_count, Share.created_at)
                  .where(Share.user_id.in_(enrolled), created))).all()}
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
    clicks = await _click_totals(db, enrolled=enrolled, start=start, end=end, weeks=weeks)
    conversions = [
        ConversionFact(Origin(uid, str(network), pid), at,
                       Decimal(value) if value is not None else None, currency)
        for uid, network, pid, at, value, currency in (await db.execute(
            select(Share.user_id, Share.network, Share.post_id,
                   Conversion.occurred_at, Conversion.value, Conversion.currency)
            .join(Share, Share.id == Conversion.share_id)
            .where(converted, Conversion.advocate_id.in_(enrolled)))).all()]
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


async def _click_totals(db: AsyncConnection, *, enrolled: Select[Any], start: date, end: date,
                        weeks: Sequence[tuple[date, date]]) -> ClickTotals:
    """Daily totals summed in the database: a pilot's clicks come back as one row per
    (network, post, week) and one per advocate, not one per click, day or share. PostgreSQL
    makes both sums in one scan (GROUPING SETS); SQLite, which has no grouping sets, makes
    two."""
    bucket = (case(*[(ShareDay.day < week_end, index)
                     for index, (_, week_end) in enumerate(weeks)], else_=len(weeks) - 1)
              if weeks else literal(0))
    counts = (func.sum(ShareDay.clicks), func.sum(ShareDay.unique_clicks))
    base = (select().select_from(ShareDay).join(Share, Share.id == ShareDay.share_id)
            .where(Share.user_id.in_(enrolled), ShareDay.day >= start, ShareDay.day < end))
    totals = ClickTotals()
    if db.dialect.name == "postgresql":
        rows = await db.execute(
            base.add_columns(func.grouping(Share.user_id), Share.user_id, Share.network,
                             Share.post_id, bucket, *counts)
            .group_by(func.grouping_sets(tuple_(Share.network, Share.post_id, bucket),
                                         tuple_(Share.user_id))))
        for per_user, uid, network, pid, week, n, unique in rows.all():
            if per_user:  # grouping() is 1 where user_id was not grouped on
                totals.by_post_week[(str(network), pid, int(week))] = (int(n), int(unique))
            else:
                totals.by_user[uid] = (int(n), int(unique))
        return totals
    for network, pid, week, n, unique in await db.execute(
            base.add_columns(Share.network, Share.post_id, bucket, *counts)
            .group_by(Share.network, Share.post_id, bucket)):
        totals.by_post_week[(str(network), pid, int(week))] = (int(n), int(unique))
    for uid, n, unique in await db.execute(
            base.add_columns(Share.user_id, *counts).group_by(Share.user_id)):
        totals.by_user[uid] = (int(n), int(unique))
    return totals
