"""Everything a KPI report needs, summed in the database per report key.

The range's published posts are read as rows, the cohort as how many advocates follow each
set of topics (overall and per group): the share-rate denominator depends on who can see
what. Shares, clicks (from the per-share daily totals, never from the clicks table),
conversions and feedback come back already summed per report key
(:mod:`app.analytics.kpi.breakdowns`): their size depends on the networks, topics, groups
and weeks, not on how many advocates or events there are.

Each source is first summed into few rows in one pass, per (post, network, week) for the
total, network, topic, week and post reports and per advocate for the groups', and the
reports are summed from those: a join (topics, groups) or a second pass then touches a few
thousand rows, not every event. Distinct advocates and (advocate, post) pairs are counted
by grouping on them first (hashing), never with window functions (sorting every share).
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
    Integer,
    Select,
    SQLColumnExpression,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    tuple_,
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
    by_type: Counter[str] = field(default_factory=Counter)


@dataclass
class Facts:
    tz: ZoneInfo
    start: date
    end: date
    weeks: list[tuple[date, date]]
    follows: Counter[frozenset[str]]  # enrolled advocates per set of topics they follow
    group_follows: dict[str, Counter[frozenset[str]]]  # the same, per group with members
    posts: list[PostFact]  # published in the range
    shares: dict[Key, dict[str, ShareSums]]  # per report key, then network
    sharers: dict[Key, tuple[int, int]]  # active advocates, (advocate, post) pairs
    clicks: dict[Key, tuple[int, int]]  # clicks, unique clicks
    conversions: dict[Key, ConversionSums]
    scores: dict[Key, Counter[int]]  # feedback: how many gave each score
    cpm: dict[str, Decimal]
    emv_currency: str
    top_posts: list[tuple[str, str | None]]  # (id, title), in top_posts order


TOP_POSTS = 10
Cohort = Select[Any] | CompoundSelect


def cohort_of_pilot(pilot_id: str) -> CompoundSelect:
    """The current members of the pilot's groups plus its listed users, as SQL: the cohort
    stays in the database (a list of a thousand ids as parameters defeats the planner)."""
    return select(pilot_users.c.user_id).where(pilot_users.c.pilot_id == pilot_id).union(
        select(user_groups.c.user_id)
        .join(pilot_groups, pilot_groups.c.group_id == user_groups.c.group_id)
        .where(pilot_groups.c.pilot_id == pilot_id))


def cohort_of_group(group_id: str) -> Select[Any]:
    """The group's current members."""
    return select(user_groups.c.user_id).where(user_groups.c.group_id == group_id)


@dataclass(frozen=True)
class _Range:
    enrolled: Select[Any]
    # The organisation's report: the few users it leaves out (deactivated, or created after
    # the cutoff). Summing everyone's days less theirs beats a semi-join of every row.
    excluded: Select[Any] | None
    start: date
    end: date
    start_at: datetime
    end_at: datetime
    week_ends: list[date]  # exclusive, local days
    week_ends_at: list[datetime]  # the same, as instants


def _int(value: Any) -> int:
    return int(value or 0)


async def load(session: AsyncSession, *, tz: ZoneInfo, cohort: Cohort | None,
               start: date, end: date, start_at: datetime, end_at: datetime, cutoff: datetime,
               pilot_id: str | None, weeks: Sequence[tuple[date, date]] = ()) -> Facts:
    """``cohort``: the users to report on (None: the whole organisation, every user existing
    at ``cutoff``); those deactivated at ``cutoff`` are left out. ``pilot_id``: the pilot
    whose feedback counts (None: every pilot's)."""
    enrolled = select(User.id).where(or_(User.deactivated_at.is_(None),
                                         User.deactivated_at > cutoff))
    excluded = None
    if cohort is None:
        enrolled = enrolled.where(User.created_at <= cutoff)
        excluded = select(User.id).where(or_(User.deactivated_at <= cutoff,
                                             User.created_at > cutoff))
    else:
        enrolled = enrolled.where(User.id.in_(cohort))
    span = _Range(enrolled=enrolled, excluded=excluded, start=start, end=end,
                  start_at=start_at, end_at=end_at,
                  week_ends=[e for _, e in weeks],
                  week_ends_at=[midnight(e, tz) for _, e in weeks])
    # Core results, not ORM ones.
    db = await session.connection()
    if db.dialect.name == "postgresql":
        # Enough memory for the report's sums to be hashed in memory, not sorted on disk.
        await db.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        # The statements are prepared and reused: after five executions PostgreSQL may
        # switch to a generic plan, blind to the range's dates and week ends, and the one
        # it picks for these reads scans far too much (seconds, at 10 000 advocates).
        await db.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        # Compiling these short statements costs more than it saves.
        await db.exec_driver_sql("SET LOCAL jit = off")
    settings = await emv_settings(session)
    shares, sharers = await _shares(db, span)
    clicks, conversions = await _clicks(db, span), await _conversions(db, span)
    follows, group_follows = await _people(db, span)
    return Facts(
        tz=tz, start=start, end=end, weeks=list(weeks), follows=follows,
        group_follows=group_follows, posts=await _posts(db, span),
        shares=shares, sharers=sharers, clicks=clicks,
        conversions=conversions, scores=await _scores(db, span, pilot_id),
        cpm={str(k): v for k, v in settings.cpm.items()}, emv_currency=settings.currency,
        top_posts=await _top_posts(db, clicks, conversions))


async def _top_posts(db: AsyncConnection, clicks: dict[Key, tuple[int, int]],
                     conversions: dict[Key, ConversionSums]) -> list[tuple[str, str | None]]:
    """§6 ``top_posts``: the posts with clicks in the range, most clicks first, then most
    conversions, then by id; the first ten, with their titles."""
    def order(post_id: str, count: int) -> tuple[int, int, str]:
        converted = conversions.get(("post", post_id))
        return -count, -(converted.count if converted else 0), post_id

    clicked = sorted(order(key, count) for (kind, key), (count, _unique) in clicks.items()
                     if kind == "post" and count)
    ids = [post_id for *_order, post_id in clicked[:TOP_POSTS]]
    titles: dict[str, str | None] = {}
    if ids:
        titles = {post_id: title for post_id, title in await db.execute(
            select(Post.id, Post.title).where(Post.id.in_(ids)))}
    return [(post_id, titles.get(post_id)) for post_id in ids]


async def _people(db: AsyncConnection, span: _Range
                  ) -> tuple[Counter[frozenset[str]], dict[str, Counter[frozenset[str]]]]:
    """How many enrolled advocates follow each set of topics, in all and per group: all the
    share rate needs to know of them (visibility depends on nothing else)."""
    followed = (select(user_topics.c.user_id,
                       func.aggregate_strings(user_topics.c.topic_id, ",").label("topics"))
                .where(user_topics.c.user_id.in_(span.enrolled))
                .group_by(user_topics.c.user_id).cte("followed_topics"))
    people = (select(User.id.label("user_id"), followed.c.topics)
              .outerjoin(followed, followed.c.user_id == User.id)
              .where(User.id.in_(span.enrolled)).cte("enrolled_people"))
    follows: Counter[frozenset[str]] = Counter()
    group_follows: dict[str, Counter[frozenset[str]]] = defaultdict(Counter)
    for kind, key, topics, count in await db.execute(union_all(
            *per_key(people, lambda kind: [func.count()], by=["topics"],
                     kinds=("total", "group")))):
        # The order of the aggregated ids is unspecified: one set may come in several rows.
        topic_set = frozenset(topics.split(",")) if topics else frozenset()
        (follows if kind == "total" else group_follows[key])[topic_set] += count
    return follows, dict(group_follows)


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


async def _shares(db: AsyncConnection, span: _Range
                  ) -> tuple[dict[Key, dict[str, ShareSums]], dict[Key, tuple[int, int]]]:
    """The range's shares per key: per network, their count, followers (reach and EMV,
    priced per network later) and stats (a week sees each share's newest snapshot before the
    week's end; every other report, before the range's end); and the distinct advocates who
    shared and (advocate, post) pairs whose post was published in the range (in a week's
    report, in that week). One statement: its rows are (kind, key, network, shares,
    followers, with_stats, impressions, engagements, active, pairs), network and the sums
    NULL on the rows of distinct counts, and the reverse."""
    rows = _range_shares(
        span, Share.id, Share.follower_count.label("followers"),
        week_end(Share.created_at, span.week_ends_at).label("week_end"),
    ).cte("range_share_rows")
    at_end = _newest_snapshots(rows, literal(span.end_at, UTCDateTime()))
    at_week = _newest_snapshots(rows, rows.c.week_end)
    one = case((rows.c.pair, 1), else_=0)
    shares = (select(rows.c.user_id, rows.c.post_id, rows.c.network, rows.c.week,
                     rows.c.pair, rows.c.week_pair, rows.c.followers,
                     at_end.c.known.label("snapshot"), at_end.c.impressions,
                     at_end.c.engagements, at_week.c.known.label("week_snapshot"),
                     at_week.c.impressions.label("week_impressions"),
                     at_week.c.engagements.label("week_engagements"), one.label("pair_share"))
              .outerjoin(at_end, (at_end.c.share_id == rows.c.id) & (at_end.c.rank == 1))
              .outerjoin(at_week, (at_week.c.share_id == rows.c.id) & (at_week.c.rank == 1))
              .cte("range_shares"))

    def summed(source: CTE, *, week: bool) -> list[ColumnElement[Any]]:
        prefix = "week_" if week else ""
        return [func.count().label("shares"), func.sum(source.c.followers).label("followers"),
                func.count(source.c[f"{prefix}snapshot"]).label("with_stats"),
                func.sum(source.c[f"{prefix}impressions"]).label("impressions"),
                func.sum(source.c[f"{prefix}engagements"]).label("engagements")]

    # Per (post, network, week): the share sums of every report but the groups', and each
    # network's pairs (a network's pairs are its shares: one per advocate, post, network).
    by_post = (select(shares.c.post_id, shares.c.network, shares.c.week,
                      *summed(shares, week=False),
                      *[c.label(f"week_{c.name}") for c in summed(shares, week=True)[2:]],
                      func.sum(shares.c.pair_share).label("pairs"))
               .group_by(shares.c.post_id, shares.c.network, shares.c.week)
               .cte("range_post_shares"))
    # Per (advocate, network): the groups' share sums, and who shared on each network.
    by_user = (select(shares.c.user_id, shares.c.network, *summed(shares, week=False))
               .group_by(shares.c.user_id, shares.c.network).cte("range_advocate_shares"))
    sharers = (select(by_user.c.user_id).group_by(by_user.c.user_id)
               .cte("range_sharers"))
    in_weeks = (select(shares.c.user_id, shares.c.week).where(shares.c.week.is_not(None))
                .group_by(shares.c.user_id, shares.c.week).cte("range_weekly_sharers"))
    in_topics = (select(shares.c.user_id, PostTopic.topic_id)
                 .join(PostTopic, PostTopic.post_id == shares.c.post_id)
                 .group_by(shares.c.user_id, PostTopic.topic_id).cte("range_topic_sharers"))
    # The (advocate, post) pairs whose post was published in the range; ``week``: the week
    # the post was published in, when the advocate shared it that week.
    pairs = (select(shares.c.post_id, shares.c.user_id,
                    func.max(case((shares.c.week_pair, shares.c.week), else_=None))
                    .label("week"))
             .where(shares.c.pair).group_by(shares.c.post_id, shares.c.user_id)
             .cte("range_pairs"))

    nothing = [cast(null(), Integer)] * 5

    def share_sums(source: CTE) -> Measures:
        def measures(kind: str) -> list[ColumnElement[Any]]:
            columns = [source.c.shares, source.c.followers, source.c.with_stats,
                       source.c.impressions, source.c.engagements]
            if kind == "week":
                columns[2:] = [source.c.week_with_stats, source.c.week_impressions,
                               source.c.week_engagements]
            network_pairs = (func.sum(source.c.pairs) if kind == "network"
                             else cast(null(), Integer))
            return [*map(func.sum, columns), cast(null(), Integer), network_pairs]
        return measures

    def tallied(*, active: bool) -> Measures:
        count = func.count()
        return lambda kind: [cast(null(), String), *nothing,
                             *((count, cast(null(), Integer)) if active
                               else (cast(null(), Integer), count))]

    topic_active = (select(literal_column("'topic'", String).label("kind"),
                           in_topics.c.topic_id.label("key"), *tallied(active=True)("topic"))
                    .group_by(in_topics.c.topic_id))
    statement = union_all(
        *per_key(by_post, share_sums(by_post), by=["network"], kinds=POST_KINDS),
        *per_key(by_user, share_sums(by_user), by=["network"], kinds=("group",)),
        *per_key(by_user, tallied(active=True), kinds=("network",)),
        *per_key(sharers, tallied(active=True), kinds=("total", "group")),
        *per_key(in_weeks, tallied(active=True), kinds=("week",)),
        topic_active,
        *per_key(pairs, tallied(active=False), kinds=("total", "topic", "group", "week")))
    sums: dict[Key, dict[str, ShareSums]] = defaultdict(dict)
    counted: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for kind, key, network, *values, active, pair_count in await db.execute(statement):
        if network is not None:
            sums[(kind, key)][str(network)] = ShareSums(*map(_int, values))
        if active is not None:
            counted[(kind, key)][0] = int(active)
        if pair_count is not None:
            counted[(kind, key)][1] = int(pair_count)
    return sums, {key: (active, pair_count) for key, (active, pair_count) in counted.items()}


async def _clicks(db: AsyncConnection, span: _Range) -> dict[Key, tuple[int, int]]:
    """Counted clicks in the range on the enrolled advocates' shares (made at any time),
    from the per-share daily totals, summed into few rows by hashing: per (network, post,
    day) for the total, network, topic, week and post reports, and per advocate for the
    groups'. A cohort's days are read by advocate (``ix_share_days_user_day``); the
    organisation's are the range's days less those of the few users it leaves out, whose
    sums come to zero. PostgreSQL makes both sums in one pass (GROUPING SETS)."""
    in_range = (ShareDay.day >= span.start, ShareDay.day < span.end)
    columns = (ShareDay.network, ShareDay.post_id, ShareDay.day, ShareDay.user_id)
    if span.excluded is None:
        days = (select(*columns, ShareDay.clicks, ShareDay.unique_clicks)
                .where(ShareDay.user_id.in_(span.enrolled), *in_range).subquery())
    else:
        days = union_all(
            select(*columns, ShareDay.clicks, ShareDay.unique_clicks).where(*in_range),
            select(*columns, (-ShareDay.clicks).label("clicks"),
                   (-ShareDay.unique_clicks).label("unique_clicks"))
            .where(ShareDay.user_id.in_(span.excluded), *in_range)).subquery()
    sums = (func.sum(days.c.clicks).label("clicks"),
            func.sum(days.c.unique_clicks).label("unique_clicks"))
    per_post = (days.c.network, days.c.post_id, days.c.day)
    if db.dialect.name == "postgresql":
        both = (select(*per_post, days.c.user_id, *sums)
                .group_by(func.grouping_sets(tuple_(*per_post), tuple_(days.c.user_id)))
                .cte("range_clicks"))
        per_day = select(both).where(both.c.user_id.is_(None)).cte("range_day_clicks")
        by_user = select(both).where(both.c.network.is_(None)).cte("range_advocate_clicks")
    else:
        per_day = select(*per_post, *sums).group_by(*per_post).cte("range_day_clicks")
        by_user = (select(days.c.user_id, *sums).group_by(days.c.user_id)
                   .cte("range_advocate_clicks"))
    by_post = select(per_day.c.network, per_day.c.post_id,
                     week_index(per_day.c.day, span.week_ends).label("week"),
                     per_day.c.clicks, per_day.c.unique_clicks).cte("range_post_clicks")

    def measures(source: CTE) -> Measures:
        return lambda kind: [func.sum(source.c.clicks), func.sum(source.c.unique_clicks)]

    return {(kind, key): (_int(clicks), _int(unique))
            for kind, key, clicks, unique in await db.execute(union_all(
                *per_key(by_post, measures(by_post), kinds=POST_KINDS),
                *per_key(by_user, measures(by_user), kinds=("group",))))}


async def _conversions(db: AsyncConnection, span: _Range) -> dict[Key, ConversionSums]:
    """Attributed conversions occurring in the range on the enrolled advocates' shares,
    counted per type, currency and value (values are exact decimal text, summed here). A
    conversion names its share's advocate, network and post: no join."""
    source = (select(Conversion.advocate_id.label("user_id"), Conversion.network,
                     Conversion.post_id,
                     week_index(Conversion.occurred_at, span.week_ends_at).label("week"),
                     Conversion.type, Conversion.currency, Conversion.value)
              .where(Conversion.attributed.is_(True), Conversion.advocate_id.in_(span.enrolled),
                     Conversion.occurred_at >= span.start_at,
                     Conversion.occurred_at < span.end_at)
              .cte("range_conversions"))
    by = ["type", "currency", "value"]
    by_post = (select(source.c.post_id, source.c.network, source.c.week,
                      *[source.c[name] for name in by], func.count().label("count"))
               .group_by(source.c.post_id, source.c.network, source.c.week,
                         *[source.c[name] for name in by])
               .cte("range_post_conversions"))
    sums: dict[Key, ConversionSums] = defaultdict(ConversionSums)
    for kind, key, type_, currency, value, count in await db.execute(union_all(
            *per_key(by_post, lambda kind: [func.sum(by_post.c.count)], by=by,
                     kinds=POST_KINDS),
            *per_key(source, lambda kind: [func.count()], by=by, kinds=("group",)))):
        count = int(count)
        entry = sums[(kind, key)]
        entry.count += count
        entry.by_type[type_] += count
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
