"""CONTRACT §6 read literally: every KPI of every report computed row by row in Python from
the raw tables (clicks from ``clicks``, not from the daily totals), to check the database's
per-key sums of ``app.analytics.kpi`` against (see test_kpi_oracle.py).

It shares nothing with the implementation but the §3 visibility rule and the rendering of
sums (ratios, money), which the hand-computed scenario of test_kpis.py pins down.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.kpi.compute import Reports, _Sums
from app.analytics.kpi.facts import can_see
from app.analytics.settings import emv_settings
from app.core.clock import utcnow
from app.gamification.periods import midnight
from app.models import (
    Click,
    Conversion,
    Feedback,
    Post,
    PostTopic,
    Share,
    StatsSnapshot,
    User,
    user_groups,
    user_topics,
)


@dataclass
class _World:
    enrolled: set[str]
    topics_of: dict[str, frozenset[str]]  # advocate -> followed topics
    groups_of: dict[str, set[str]]
    post_topics: dict[str, frozenset[str]]
    published: dict[str, datetime]
    shares: list[Share]
    clicks: list[tuple[Share, Click]]
    conversions: list[tuple[Share, Conversion]]
    snapshots: dict[str, list[StatsSnapshot]]
    feedback: list[Feedback]
    cpm: dict[str, Decimal]
    currency: str


async def _world(session: AsyncSession, *, cohort: set[str] | None, pilot_id: str | None,
                 end_at: datetime) -> _World:
    cutoff = min(end_at, utcnow())
    users = (await session.scalars(select(User))).all()
    enrolled = {u.id for u in users if (cohort is None or u.id in cohort)
                and (u.deactivated_at is None or u.deactivated_at > cutoff)}
    topics_of: dict[str, set[str]] = defaultdict(set)
    for uid, tid in await session.execute(select(user_topics)):
        topics_of[uid].add(tid)
    groups_of: dict[str, set[str]] = defaultdict(set)
    for uid, gid in await session.execute(select(user_groups)):
        groups_of[uid].add(gid)
    post_topics: dict[str, set[str]] = defaultdict(set)
    for link in (await session.scalars(select(PostTopic))).all():
        post_topics[link.post_id].add(link.topic_id)
    shares = {s.id: s for s in (await session.scalars(select(Share))).all()}
    snapshots: dict[str, list[StatsSnapshot]] = defaultdict(list)
    for snapshot in (await session.scalars(select(StatsSnapshot))).all():
        snapshots[snapshot.share_id].append(snapshot)
    feedback = [f for f in (await session.scalars(select(Feedback))).all()
                if pilot_id is None or f.pilot_id == pilot_id]
    settings = await emv_settings(session)
    return _World(
        enrolled=enrolled, topics_of={u.id: frozenset(topics_of[u.id]) for u in users},
        groups_of=groups_of, post_topics={k: frozenset(v) for k, v in post_topics.items()},
        published={p.id: p.published_at for p in (await session.scalars(select(Post))).all()
                   if p.published_at is not None},
        shares=list(shares.values()),
        clicks=[(shares[c.share_id], c) for c in (await session.scalars(select(Click))).all()],
        conversions=[(shares[c.share_id], c) for c in
                     (await session.scalars(select(Conversion))).all() if c.share_id],
        snapshots=snapshots, feedback=feedback,
        cpm={str(k): v for k, v in settings.cpm.items()}, currency=settings.currency)


ShareTest = Callable[[Share], bool]


def _report(w: _World, *, start_at: datetime, end_at: datetime, advocates: set[str],
            keep: ShareTest, post_topic: str | None, feedback_window: tuple[datetime, datetime],
            pairs_in: tuple[datetime, datetime]) -> _Sums:
    """One report: events in [start_at, end_at) on the shares ``keep`` accepts, by the
    enrolled advocates; ``advocates`` are who it enrols and who may see its posts."""
    sums = _Sums()
    sums.enrolled = len(advocates)

    def within(moment: datetime, window: tuple[datetime, datetime] = (start_at, end_at)
               ) -> bool:
        return window[0] <= moment < window[1]

    def ours(share: Share) -> bool:
        return share.user_id in w.enrolled and keep(share)

    made = [s for s in w.shares if ours(s) and within(s.created_at)]
    sums.shares = len(made)
    sums.active = len({s.user_id for s in made})
    sums.pairs = len({(s.user_id, s.post_id) for s in made
                      if s.post_id in w.published and within(w.published[s.post_id], pairs_in)})
    for share in made:
        sums.reach += share.follower_count
        sums.emv += Decimal(share.follower_count) / 1000 * w.cpm.get(share.network, Decimal(0))
        before = [s for s in w.snapshots[share.id] if s.taken_at < end_at]
        if before:
            newest = max(before, key=lambda s: (s.taken_at, s.id))
            sums.with_stats += 1
            sums.impressions += newest.impressions
            sums.engagements += newest.likes + newest.comments + newest.reshares
    for share, click in w.clicks:
        if ours(share) and within(click.occurred_at) and not click.bot and not click.is_self:
            sums.clicks += 1
            sums.unique_clicks += click.is_unique
    for share, conversion in w.conversions:
        if ours(share) and conversion.attributed and within(conversion.occurred_at):
            sums.conversions += 1
            if conversion.value is not None:
                sums.by_currency.setdefault(conversion.currency, Decimal(0))
                sums.by_currency[conversion.currency] += Decimal(conversion.value)
    for post_id, at in w.published.items():
        topics = w.post_topics.get(post_id, frozenset())
        if not within(at) or (post_topic is not None and post_topic not in topics):
            continue
        viewers = sum(can_see(w.topics_of[a], topics) for a in advocates)
        sums.posts_seen += viewers > 0
        sums.visible_total += viewers
    sums.scores = Counter(f.score for f in w.feedback
                          if f.user_id in advocates and within(f.created_at, feedback_window))
    return sums


def _events_networks_topics(w: _World, start_at: datetime, end_at: datetime
                            ) -> tuple[set[str], set[str]]:
    """The networks and topics that some event in the range names (and topics of posts
    published in it): the keys of by_network and by_topic."""
    touched: Iterable[Share] = [
        *[s for s in w.shares if start_at <= s.created_at < end_at],
        *[s for s, c in w.clicks if start_at <= c.occurred_at < end_at
          and not c.bot and not c.is_self],
        *[s for s, c in w.conversions if c.attributed and start_at <= c.occurred_at < end_at]]
    touched = [s for s in touched if s.user_id in w.enrolled]
    topics = {t for s in touched for t in w.post_topics.get(s.post_id, ())}
    topics |= {t for p, at in w.published.items() if start_at <= at < end_at
               for t in w.post_topics.get(p, ())}
    return {s.network for s in touched}, topics


async def oracle(session: AsyncSession, *, tz: ZoneInfo, cohort: set[str] | None,
                 pilot_id: str | None, start: date, end: date,
                 weeks: list[tuple[date, date]]) -> Reports:
    start_at, end_at = midnight(start, tz), midnight(end, tz)
    w = await _world(session, cohort=cohort, pilot_id=pilot_id, end_at=end_at)
    everyone = w.enrolled
    whole = (start_at, end_at)

    def report(**kwargs: Any) -> dict[str, Any]:
        options: dict[str, Any] = {"start_at": start_at, "end_at": end_at,
                                   "advocates": everyone, "keep": lambda s: True,
                                   "post_topic": None, "feedback_window": whole,
                                   "pairs_in": whole}
        options.update(kwargs)
        return _report(w, **options).render(w.currency)

    total = report()
    networks, topics = _events_networks_topics(w, start_at, end_at)
    # A network's report keeps the cohort, its feedback and every post it could see.
    by_network = {n: report(keep=lambda s, n=n: s.network == n) for n in sorted(networks)}
    by_topic = {t: report(keep=lambda s, t=t: t in w.post_topics.get(s.post_id, ()),
                          post_topic=t)
                for t in sorted(topics)}
    groups = sorted({g for a in everyone for g in w.groups_of[a]})
    by_group = {}
    for group in groups:
        members = {a for a in everyone if group in w.groups_of[a]}
        by_group[group] = report(advocates=members, keep=lambda s, m=members: s.user_id in m)
    weekly = []
    for week_start, week_end in weeks:
        window = (midnight(week_start, tz), midnight(week_end, tz))
        weekly.append(report(start_at=window[0], end_at=window[1], feedback_window=window,
                             pairs_in=window))
    return Reports(total=total, by_network=by_network, by_topic=by_topic, by_group=by_group,
                   weekly=weekly)

