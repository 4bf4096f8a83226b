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
by grouping on them first (hashing), never with window functions (sorting every share); on
PostgreSQL, who shared in each week and topic is one bit mask of each per advocate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CTE,
    BigInteger,
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
STATS = ("with_stats", "impressions", "engagements")  # a snapshot's, summed
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


def _enrolled(span: _Range, user_id: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    """``user_id`` is enrolled; for the organisation, not one of the few it leaves out (a
    hashed NOT IN of a handful beats a semi-join on every advocate)."""
    return user_id.in_(span.enrolled) if span.excluded is None else user_id.not_in(span.excluded)


def _range_shares(span: _Range, *columns: SQLColumnExpression[Any],
                  topic_bits: CTE | None = None) -> Select[Any]:
    """The enrolled advocates' shares created in the range, with their week and whether
    their post was published in the range (``pair``) and in the share's own week
    (``week_pair``): what the share rate counts. With ``topic_bits``, also their post's
    topics as a mask (``topics``, NULL without topics)."""
    week = week_index(Share.created_at, span.week_ends_at)
    # Each post's facts are worked out once, not once per share.
    posts = select(Post.id, and_(Post.published_at >= span.start_at,
                                 Post.published_at < span.end_at).label("pair"),
                   week_index(Post.published_at, span.week_ends_at).label("week"))
    if topic_bits is not None:
        # Grouped, so that it stays one small subquery: one hash, probed once per share.
        posts = (posts.add_columns(func.bit_or(_bit(topic_bits.c.bit)).label("topics"))
                 .outerjoin(PostTopic, PostTopic.post_id == Post.id)
                 .outerjoin(topic_bits, topic_bits.c.topic_id == PostTopic.topic_id)
                 .group_by(Post.id))
    post = posts.subquery("range_posts")
    if topic_bits is not None:
        columns = (*columns, post.c.topics)
    return (select(Share.user_id, Share.network, Share.post_id, week.label("week"),
                   post.c.pair, and_(post.c.pair, post.c.week == week).label("week_pair"),
                   *columns)
            .join(post, post.c.id == Share.post_id)
            .where(_enrolled(span, Share.user_id), Share.created_at >= span.start_at,
                   Share.created_at < span.end_at))


# The bits of a bigint a mask of weeks or topics may use (its sign bit left alone).
MASK_BITS = 63


def _bit(index: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    return literal(1, BigInteger).op("<<")(cast(index, Integer))


def _has_bit(mask: SQLColumnExpression[Any], index: SQLColumnExpression[Any]
             ) -> ColumnElement[bool]:
    return mask.op(">>")(cast(index, Integer)).op("&")(1) == 1


async def _masked(db: AsyncConnection, span: _Range) -> bool:
    """Whether who shared in each week and topic can be read from one mask of weeks and one
    of topics per advocate (PostgreSQL's bit_or, few enough of each for a bigint), instead of
    hashing every (advocate, week) and (advocate, topic) of the range's shares."""
    if db.dialect.name != "postgresql" or len(span.week_ends) > MASK_BITS:
        return False
    topics = (await db.execute(select(func.count(func.distinct(PostTopic.topic_id)))))
    return int(topics.scalar_one()) <= MASK_BITS


def _snapshot_sums(span: _Range, shares: CTE) -> tuple[CTE, CTE]:
    """The stats of the range's shares, summed per (post, network, week) and per (advocate,
    network): a week sees each share's newest snapshot taken before the week's end; every
    other report, before the range's end. ``shares``: the range's (:func:`_range_shares`,
    with ``id`` and ``created_at``); only the few with snapshots are ranked, newest first
    both ways in one pass (one join, not one per lookup), and their sums are rows of their
    own, added to the shares' per key. A metric the network did not give is null and adds
    nothing (SUM skips it; engagements add the known ones); a snapshot knowing at least one
    metric counts in ``with_stats``."""
    likes, comments, reshares = (StatsSnapshot.likes, StatsSnapshot.comments,
                                 StatsSnapshot.reshares)
    engagements = (func.coalesce(likes, 0) + func.coalesce(comments, 0)
                   + func.coalesce(reshares, 0))
    known = case((or_(StatsSnapshot.impressions.is_not(None), likes.is_not(None),
                      comments.is_not(None), reshares.is_not(None)), 1), else_=None)
    in_week = StatsSnapshot.taken_at < week_end(shares.c.created_at, span.week_ends_at)
    newest = (StatsSnapshot.taken_at.desc(), StatsSnapshot.id.desc())
    ranked = (select(shares.c.user_id, shares.c.post_id, shares.c.network, shares.c.week,
                     StatsSnapshot.impressions, engagements.label("engagements"),
                     known.label("known"), in_week.label("in_week"),
                     func.row_number().over(partition_by=StatsSnapshot.share_id,
                                            order_by=newest).label("end_rank"),
                     func.row_number().over(partition_by=(StatsSnapshot.share_id, in_week),
                                            order_by=newest).label("week_rank"))
              .join(shares, shares.c.id == StatsSnapshot.share_id)
              .where(StatsSnapshot.taken_at < span.end_at).cte("range_snapshots"))
    newest_at_end = ranked.c.end_rank == 1
    newest_in_week = and_(ranked.c.in_week, ranked.c.week_rank == 1)

    def stats(when: ColumnElement[Any], prefix: str) -> list[ColumnElement[Any]]:
        return [func.count(case((when, ranked.c.known), else_=None)).label(f"{prefix}with_stats"),
                func.sum(case((when, ranked.c.impressions), else_=None))
                .label(f"{prefix}impressions"),
                func.sum(case((when, ranked.c.engagements), else_=None))
                .label(f"{prefix}engagements")]

    by_post = (select(ranked.c.post_id, ranked.c.network, ranked.c.week,
                      *stats(newest_at_end, ""), *stats(newest_in_week, "week_"))
               .group_by(ranked.c.post_id, ranked.c.network, ranked.c.week)
               .cte("range_post_snapshots"))
    by_user = (select(ranked.c.user_id, ranked.c.network, *stats(newest_at_end, ""))
               .group_by(ranked.c.user_id, ranked.c.network).cte("range_advocate_snapshots"))
    return by_post, by_user


async def _shares(db: AsyncConnection, span: _Range
                  ) -> tuple[dict[Key, dict[str, ShareSums]], dict[Key, tuple[int, int]]]:
    """The range's shares per key: per network, their count, followers (reach and EMV,
    priced per network later) and stats (:func:`_snapshot_sums`); and the distinct
    advocates who shared and (advocate, post) pairs whose post was published in the range
    (in a week's report, in that week). One statement: its rows are (kind, key, network,
    shares, followers, with_stats, impressions, engagements, active, pairs), network and the
    sums NULL on the rows of distinct counts, and the reverse."""
    topic_bits = None
    if masked := await _masked(db, span):
        topic_bits = (select(PostTopic.topic_id, (func.row_number().over(
            order_by=PostTopic.topic_id) - 1).label("bit")).group_by(PostTopic.topic_id)
            .cte("topic_bits"))
    shares = _range_shares(span, Share.id, Share.created_at,
                           Share.follower_count.label("followers"),
                           topic_bits=topic_bits).cte("range_shares")
    post_stats, user_stats = _snapshot_sums(span, shares)
    none = cast(null(), Integer)
    # Per (post, network, week): the share sums of every report but the groups', and each
    # network's pairs (a network's pairs are its shares: one per advocate, post, network);
    # the stats come as rows of their own, summed with them per key.
    by_post = union_all(
        select(shares.c.post_id, shares.c.network, shares.c.week,
               func.count().label("shares"), func.sum(shares.c.followers).label("followers"),
               *[none.label(f"{prefix}{name}") for prefix in ("", "week_") for name in STATS],
               func.sum(case((shares.c.pair, 1), else_=0)).label("pairs"))
        .group_by(shares.c.post_id, shares.c.network, shares.c.week),
        select(post_stats.c.post_id, post_stats.c.network, post_stats.c.week, none, none,
               *[post_stats.c[name] for name in STATS],
               *[post_stats.c[f"week_{name}"] for name in STATS], none),
    ).cte("range_post_shares")
    # Per (advocate, network): who shared on each network, and the groups' share sums.
    masks = ([func.bit_or(_bit(shares.c.week)).label("weeks"),
              func.bit_or(shares.c.topics).label("topics")] if masked else [])
    by_user = (select(shares.c.user_id, shares.c.network, func.count().label("shares"),
                      func.sum(shares.c.followers).label("followers"), *masks)
               .group_by(shares.c.user_id, shares.c.network).cte("range_advocate_shares"))
    user_sums = union_all(
        select(by_user.c.user_id, by_user.c.network, by_user.c.shares, by_user.c.followers,
               *[none.label(name) for name in STATS]),
        select(user_stats.c.user_id, user_stats.c.network, none, none,
               *[user_stats.c[name] for name in STATS]),
    ).cte("range_advocate_sums")
    sharers = (select(by_user.c.user_id,
                      *([func.bit_or(by_user.c.weeks).label("weeks"),
                         func.bit_or(by_user.c.topics).label("topics")] if masked else []))
               .group_by(by_user.c.user_id).cte("range_sharers"))
    # The (advocate, post) pairs whose post was published in the range; ``week``: the week
    # the post was published in, when the advocate shared it that week. Counted per post
    # (the total, topics and weeks add posts) and per advocate (groups add advocates).
    pairs = (select(shares.c.post_id, shares.c.user_id,
                    func.max(case((shares.c.week_pair, shares.c.week), else_=None))
                    .label("week"))
             .where(shares.c.pair).group_by(shares.c.post_id, shares.c.user_id))
    if db.dialect.name == "postgresql":
        # Both counts in one pass over the pairs, which are then never stored.
        counts = pairs.subquery("range_pairs")
        both = (select(counts.c.post_id, counts.c.user_id, func.count().label("pairs"),
                       func.count(counts.c.week).label("week_pairs"),
                       func.max(counts.c.week).label("week"))
                .group_by(func.grouping_sets(counts.c.post_id, counts.c.user_id))
                .cte("range_pair_counts"))
        post_pairs = select(both).where(both.c.post_id.is_not(None)).cte("range_post_pairs")
        user_pairs = select(both).where(both.c.user_id.is_not(None)).cte("range_advocate_pairs")
    else:
        stored = pairs.cte("range_pairs")
        post_pairs = (select(stored.c.post_id, func.count().label("pairs"),
                             func.count(stored.c.week).label("week_pairs"),
                             func.max(stored.c.week).label("week"))
                      .group_by(stored.c.post_id).cte("range_post_pairs"))
        user_pairs = (select(stored.c.user_id, func.count().label("pairs"))
                      .group_by(stored.c.user_id).cte("range_advocate_pairs"))

    def share_sums(source: CTE) -> Measures:
        def measures(kind: str) -> list[ColumnElement[Any]]:
            columns = [source.c.shares, source.c.followers, source.c.with_stats,
                       source.c.impressions, source.c.engagements]
            if kind == "week":
                columns[2:] = [source.c.week_with_stats, source.c.week_impressions,
                               source.c.week_engagements]
            network_pairs = func.sum(source.c.pairs) if kind == "network" else none
            return [*map(func.sum, columns), none, network_pairs]
        return measures

    def tallied(*, active: bool, count: Callable[[str], ColumnElement[Any]] | None = None
                ) -> Measures:
        def measures(kind: str) -> list[ColumnElement[Any]]:
            counted = func.count() if count is None else count(kind)
            return [cast(null(), String), *[none] * 5,
                    *((counted, none) if active else (none, counted))]
        return measures

    # Who shared in each week and topic.
    active_in: list[Select[Any]] = []
    if topic_bits is not None:
        weeks = (func.generate_series(0, len(span.week_ends) - 1).table_valued("week")
                 .render_derived(name="report_weeks"))
        week_key: ColumnElement[Any] = cast(weeks.c.week, String)
        if span.week_ends:
            active_in.append(
                select(literal_column("'week'", String).label("kind"), week_key.label("key"),
                       *tallied(active=True)("week"))
                .select_from(sharers).join(weeks, _has_bit(sharers.c.weeks, weeks.c.week))
                .group_by(weeks.c.week))
        active_in.append(
            select(literal_column("'topic'", String).label("kind"),
                   topic_bits.c.topic_id.label("key"), *tallied(active=True)("topic"))
            .select_from(sharers).join(topic_bits, _has_bit(sharers.c.topics, topic_bits.c.bit))
            .group_by(topic_bits.c.topic_id))
    else:
        in_weeks = (select(shares.c.user_id, shares.c.week).where(shares.c.week.is_not(None))
                    .group_by(shares.c.user_id, shares.c.week).cte("range_weekly_sharers"))
        in_topics = (select(shares.c.user_id, PostTopic.topic_id)
                     .join(PostTopic, PostTopic.post_id == shares.c.post_id)
                     .group_by(shares.c.user_id, PostTopic.topic_id)
                     .cte("range_topic_sharers"))
        active_in += [
            *per_key(in_weeks, tallied(active=True), kinds=("week",)),
            select(literal_column("'topic'", String).label("kind"),
                   in_topics.c.topic_id.label("key"), *tallied(active=True)("topic"))
            .group_by(in_topics.c.topic_id)]
    statement = union_all(
        *per_key(by_post, share_sums(by_post), by=["network"], kinds=POST_KINDS),
        *per_key(user_sums, share_sums(user_sums), by=["network"], kinds=("group",)),
        *per_key(by_user, tallied(active=True), kinds=("network",)),
        *per_key(sharers, tallied(active=True), kinds=("total", "group")),
        *active_in,
        *per_key(post_pairs, tallied(active=False, count=lambda kind: func.sum(
            post_pairs.c.week_pairs if kind == "week" else post_pairs.c.pairs)),
            kinds=("total", "topic", "week")),
        *per_key(user_pairs, tallied(active=False, count=lambda kind: func.sum(
            user_pairs.c.pairs)), kinds=("group",)))
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
              .where(Conversion.attributed.is_(True), _enrolled(span, Conversion.advocate_id),
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
