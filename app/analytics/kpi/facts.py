"""Everything a KPI report needs, summed in the database per report key.

The cohort's advocates (their topics and groups) and the range's published posts are read as
rows: the share-rate denominator depends on who can see what. Shares, clicks (from the
per-share daily totals, never from the clicks table), conversions and feedback come back
already summed per report key (:mod:`app.analytics.kpi.breakdowns`): their size depends on
the networks, topics, groups and weeks, not on how many advocates or events there are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Select,
    SQLColumnExpression,
    and_,
    case,
    distinct,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.analytics.kpi.breakdowns import (
    PEOPLE_KINDS,
    POST_KINDS,
    Key,
    Measures,
    per_key,
    week_end,
    week_index,
)
from app.analytics.settings import emv_settings
from app.core.db import UTCDateTime
from app.gamification.periods import midnight
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
    week: int | None  # the report week it was published in (None without weeks)
    topics: frozenset[str]


@dataclass
class ShareSums:
    """The range's shares of one report key on one network."""

    shares: int = 0
    followers: int = 0
    with_stats: int = 0
    impressions: int = 0
    engagements: int = 0


@dataclass
class ConversionSums:
    count: int = 0
    by_currency: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


@dataclass
class Facts:
    tz: ZoneInfo
    start: date
    end: date
    weeks: list[tuple[date, date]]
    advocates: dict[str, Advocate]
    posts: list[PostFact]  # published in the range
    shares: dict[Key, dict[str, ShareSums]]  # per report key, then network
    sharers: dict[Key, tuple[int, int]]  # active advocates, (advocate, post) pairs
    clicks: dict[Key, tuple[int, int]]  # clicks, unique clicks
    conversions: dict[Key, ConversionSums]
    scores: dict[Key, Counter[int]]  # feedback: how many gave each score
    cpm: dict[str, Decimal]
    emv_currency: str


def cohort_of_pilot(pilot_id: str) -> CompoundSelect:
    """The current members of the pilot's groups plus its listed users, as SQL: the cohort
    stays in the database (a list of a thousand ids as parameters defeats the planner)."""
    return select(pilot_users.c.user_id).where(pilot_users.c.pilot_id == pilot_id).union(
        select(user_groups.c.user_id)
        .join(pilot_groups, pilot_groups.c.group_id == user_groups.c.group_id)
        .where(pilot_groups.c.pilot_id == pilot_id))


@dataclass(frozen=True)
class _Range:
    enrolled: Select[Any]
    start: date
    end: date
    start_at: datetime
    end_at: datetime
    week_ends: list[date]  # exclusive, local days
    week_ends_at: list[datetime]  # the same, as instants


def _int(value: Any) -> int:
    return int(value or 0)


async def load(session: AsyncSession, *, tz: ZoneInfo, cohort: CompoundSelect | None,
               start: date, end: date, start_at: datetime, end_at: datetime, cutoff: datetime,
               pilot_id: str | None, weeks: Sequence[tuple[date, date]] = ()) -> Facts:
    """``cohort``: the users to report on (None: the whole organisation, every user existing
    at ``cutoff``); those deactivated at ``cutoff`` are left out."""
    enrolled = select(User.id).where(or_(User.deactivated_at.is_(None),
                                         User.deactivated_at > cutoff))
    if cohort is None:
        enrolled = enrolled.where(User.created_at <= cutoff)
    else:
        enrolled = enrolled.where(User.id.in_(cohort))
    span = _Range(enrolled=enrolled, start=start, end=end, start_at=start_at, end_at=end_at,
                  week_ends=[e for _, e in weeks],
                  week_ends_at=[midnight(e, tz) for _, e in weeks])
    # Core results, not ORM ones.
    db = await session.connection()
    if db.dialect.name == "postgresql":
        # Enough memory for the report's sums to be hashed in memory, not sorted on disk.
        await db.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    settings = await emv_settings(session)
    return Facts(
        tz=tz, start=start, end=end, weeks=list(weeks),
        advocates=await _advocates(db, span), posts=await _posts(db, span),
        shares=await _share_sums(db, span), sharers=await _sharers(db, span),
        clicks=await _clicks(db, span), conversions=await _conversions(db, span),
        scores=await _scores(db, span, pilot_id),
        cpm={str(k): v for k, v in settings.cpm.items()}, emv_currency=settings.currency)


async def _advocates(db: AsyncConnection, span: _Range) -> dict[str, Advocate]:
    ids = (await db.execute(span.enrolled)).scalars().all()
    topics_of: dict[str, set[str]] = defaultdict(set)
    groups_of: dict[str, set[str]] = defaultdict(set)
    for uid, tid in await db.execute(select(user_topics.c.user_id, user_topics.c.topic_id)
                                     .where(user_topics.c.user_id.in_(span.enrolled))):
        topics_of[uid].add(tid)
    for uid, gid in await db.execute(select(user_groups.c.user_id, user_groups.c.group_id)
                                     .where(user_groups.c.user_id.in_(span.enrolled))):
        groups_of[uid].add(gid)
    return {u: Advocate(u, frozenset(topics_of[u]), frozenset(groups_of[u])) for u in ids}


async def _posts(db: AsyncConnection, span: _Range) -> list[PostFact]:
    published = (Post.published_at >= span.start_at) & (Post.published_at < span.end_at)
    topics: dict[str, set[str]] = defaultdict(set)
    for pid, tid in await db.execute(select(PostTopic.post_id, PostTopic.topic_id).where(
            PostTopic.post_id.in_(select(Post.id).where(published)))):
        topics[pid].add(tid)
    return [PostFact(pid, week, frozenset(topics[pid]))
            for pid, week in await db.execute(
                select(Post.id, week_index(Post.published_at, span.week_ends_at))
                .where(published).order_by(Post.published_at))]


def _range_shares(span: _Range, *columns: SQLColumnExpression[Any]) -> Select[Any]:
    """The enrolled advocates' shares created in the range, with their week and whether
    their post was published in the range (``pair``) and in the share's own week
    (``week_pair``): what the share rate counts."""
    week = week_index(Share.created_at, span.week_ends_at)
    published = and_(Post.published_at >= span.start_at, Post.published_at < span.end_at)
    return (select(Share.user_id, Share.network, Share.post_id, week.label("week"),
                   published.label("pair"),
                   and_(published, week_index(Post.published_at, span.week_ends_at) == week)
                   .label("week_pair"), *columns)
            .join(Post, Post.id == Share.post_id)
            .where(Share.user_id.in_(span.enrolled), Share.created_at >= span.start_at,
                   Share.created_at < span.end_at))


def _newest_snapshots(shares: CTE, before: ColumnElement[Any]) -> CTE:
    """Per share of ``shares``, its newest stats snapshot taken before ``before`` (an
    expression on ``shares``): impressions and engagements, ranked 1. A metric the network
    did not give is null and adds nothing (SUM skips it; engagements add the known ones);
    ``known`` is 1 when the snapshot knows at least one metric (``shares_with_stats``)."""
    rank = func.row_number().over(partition_by=StatsSnapshot.share_id,
                                  order_by=(StatsSnapshot.taken_at.desc(),
                                            StatsSnapshot.id.desc()))
    likes, comments, reshares = (StatsSnapshot.likes, StatsSnapshot.comments,
                                 StatsSnapshot.reshares)
    engagements = (func.coalesce(likes, 0) + func.coalesce(comments, 0)
                   + func.coalesce(reshares, 0))
    known = case((or_(StatsSnapshot.impressions.is_not(None), likes.is_not(None),
                      comments.is_not(None), reshares.is_not(None)), 1), else_=None)
    return (select(StatsSnapshot.share_id, StatsSnapshot.impressions,
                   engagements.label("engagements"), known.label("known"),
                   rank.label("rank"))
            .join(shares, shares.c.id == StatsSnapshot.share_id)
            .where(StatsSnapshot.taken_at < before).cte())


async def _share_sums(db: AsyncConnection, span: _Range) -> dict[Key, dict[str, ShareSums]]:
    """Shares, followers (reach and EMV, priced per network later) and stats per key and
    network. A week sees each share's newest snapshot before the week's end; every other
    report, before the range's end."""
    shares = _range_shares(
        span, Share.id, Share.follower_count.label("followers"),
        week_end(Share.created_at, span.week_ends_at).label("week_end"),
    ).cte("range_share_rows")
    at_end = _newest_snapshots(shares, literal(span.end_at, UTCDateTime()))
    at_week = _newest_snapshots(shares, shares.c.week_end)
    source = (select(shares, at_end.c.known.label("snapshot"), at_end.c.impressions,
                     at_end.c.engagements, at_week.c.known.label("week_snapshot"),
                     at_week.c.impressions.label("week_impressions"),
                     at_week.c.engagements.label("week_engagements"))
              .outerjoin(at_end, (at_end.c.share_id == shares.c.id) & (at_end.c.rank == 1))
              .outerjoin(at_week, (at_week.c.share_id == shares.c.id) & (at_week.c.rank == 1))
              .cte("range_shares"))

    def measures(kind: str) -> list[ColumnElement[Any]]:
        prefix = "week_" if kind == "week" else ""
        return [func.count(), func.sum(source.c.followers),
                func.count(source.c[f"{prefix}snapshot"]),
                func.sum(source.c[f"{prefix}impressions"]),
                func.sum(source.c[f"{prefix}engagements"])]

    sums: dict[Key, dict[str, ShareSums]] = defaultdict(dict)
    for kind, key, network, *values in await db.execute(
            union_all(*per_key(source, measures, by=["network"]))):
        sums[(kind, key)][str(network)] = ShareSums(*map(_int, values))
    return sums


async def _sharers(db: AsyncConnection, span: _Range) -> dict[Key, tuple[int, int]]:
    """Per key, the distinct advocates who shared and the distinct (advocate, post) pairs
    whose post was published in the range (in a week's report, in that week).

    Distinct things are counted as flags on one share of each: its advocate's first share
    (first of a network's, of a week's), its (advocate, post) pair's first share (first of
    a week's), which a group or a topic report can sum, since an advocate's groups and a
    post's topics are the same on every share. A network's pairs are its shares (one per
    advocate, post and network). Only a topic's advocates need counting after the join."""
    def first(*partition: SQLColumnExpression[Any]) -> ColumnElement[Any]:
        # Any one row of the partition will do: no order to sort for.
        return case((func.row_number().over(partition_by=partition) == 1, 1), else_=0)

    week = week_index(Share.created_at, span.week_ends_at)
    source = _range_shares(
        span, first(Share.user_id, Share.post_id, week).label("first_pair_in_week"),
        first(Share.user_id, Share.post_id).label("first_pair"),
        first(Share.user_id, week).label("first_in_week"),
        first(Share.user_id, Share.network).label("first_on_network"),
        first(Share.user_id).label("first_advocate"),
    ).cte("range_sharers")

    def flagged(flag: str, condition: str | None = None) -> ColumnElement[Any]:
        if condition is None:
            return func.sum(source.c[flag])
        return func.sum(case((source.c[condition], source.c[flag]), else_=0))

    def measures(kind: str) -> list[ColumnElement[Any]]:
        if kind == "network":
            return [flagged("first_on_network"),
                    func.sum(case((source.c.pair, 1), else_=0))]
        if kind == "week":
            return [flagged("first_in_week"), flagged("first_pair_in_week", "week_pair")]
        advocates = (func.count(distinct(source.c.user_id)) if kind == "topic"
                     else flagged("first_advocate"))
        return [advocates, flagged("first_pair", "pair")]

    return {(kind, key): (_int(active), _int(pairs))
            for kind, key, active, pairs in await db.execute(
                union_all(*per_key(source, measures)))}


async def _clicks(db: AsyncConnection, span: _Range) -> dict[Key, tuple[int, int]]:
    """Counted clicks in the range on the enrolled advocates' shares (made at any time),
    from the per-share daily totals, read by advocate (``ix_share_days_user_day``) and
    summed twice before the breakdowns: per (network, post, week) for the total, network,
    topic and week reports, and per advocate for the groups'."""
    days = (ShareDay.user_id.in_(span.enrolled), ShareDay.day >= span.start,
            ShareDay.day < span.end)
    counts = (func.sum(ShareDay.clicks).label("clicks"),
              func.sum(ShareDay.unique_clicks).label("unique_clicks"))
    week = week_index(ShareDay.day, span.week_ends)
    by_post = (select(ShareDay.network, ShareDay.post_id, week.label("week"), *counts)
               .where(*days)
               .group_by(ShareDay.network, ShareDay.post_id,
                         *([week] if span.week_ends else []))  # no weeks: NULL
               .cte("range_post_clicks"))
    by_user = (select(ShareDay.user_id, *counts).where(*days).group_by(ShareDay.user_id)
               .cte("range_advocate_clicks"))

    def measures(source: CTE) -> Measures:
        return lambda kind: [func.sum(source.c.clicks), func.sum(source.c.unique_clicks)]

    return {(kind, key): (_int(clicks), _int(unique))
            for kind, key, clicks, unique in await db.execute(union_all(
                *per_key(by_post, measures(by_post), kinds=POST_KINDS),
                *per_key(by_user, measures(by_user), kinds=("group",))))}


async def _conversions(db: AsyncConnection, span: _Range) -> dict[Key, ConversionSums]:
    """Attributed conversions occurring in the range on the enrolled advocates' shares,
    counted per currency and value (values are exact decimal text, summed here). A
    conversion names its share's advocate, network and post: no join."""
    source = (select(Conversion.advocate_id.label("user_id"), Conversion.network,
                     Conversion.post_id,
                     week_index(Conversion.occurred_at, span.week_ends_at).label("week"),
                     Conversion.currency, Conversion.value)
              .where(Conversion.attributed.is_(True), Conversion.advocate_id.in_(span.enrolled),
                     Conversion.occurred_at >= span.start_at,
                     Conversion.occurred_at < span.end_at)
              .cte("range_conversions"))
    sums: dict[Key, ConversionSums] = defaultdict(ConversionSums)
    for kind, key, currency, value, count in await db.execute(
            union_all(*per_key(source, lambda kind: [func.count()],
                               by=["currency", "value"]))):
        entry = sums[(kind, key)]
        entry.count += count
        if value is not None:
            entry.by_currency[currency] += Decimal(value) * count
    return sums


async def _scores(db: AsyncConnection, span: _Range,
                  pilot_id: str | None) -> dict[Key, Counter[int]]:
    """Feedback given in the range by enrolled advocates (to the pilot, when there is one):
    how many gave each score, per key."""
    stmt = (select(Feedback.user_id, Feedback.score,
                   week_index(Feedback.created_at, span.week_ends_at).label("week"))
            .where(Feedback.user_id.in_(span.enrolled), Feedback.created_at >= span.start_at,
                   Feedback.created_at < span.end_at))
    if pilot_id is not None:
        stmt = stmt.where(Feedback.pilot_id == pilot_id)
    source = stmt.cte("range_feedback")
    scores: dict[Key, Counter[int]] = defaultdict(Counter)
    for kind, key, score, count in await db.execute(
            union_all(*per_key(source, lambda kind: [func.count()], by=["score"],
                               kinds=PEOPLE_KINDS))):
        scores[(kind, key)][int(score)] += count
    return scores
