"""CONTRACT §6 read literally, computed row by row in Python: the KPI oracle.

It shares no code with ``app/``: it reads the raw tables through the ORM models and nothing
else of the application (no cohort query, no week helper, no ratio or money rendering, no
visibility rule, no settings reader). Everything a KPI response holds is computed here from
the contract's text:

- the cohort: the current members of the pilot's groups plus its users (the organisation:
  every user existing at the cutoff); enrolled = not deactivated at min(``to``, now);
- the range [``from`` 00:00, ``to`` 00:00) and ISO weeks (Monday 00:00) in the organisation's
  time zone, with :mod:`zoneinfo` (a DST change shortens or lengthens a week, never moves it);
- visibility (§3): a post is visible to an advocate who follows one of its topics, or who
  follows no topic;
- clicks (§4): not bot, not self, from the clicks table (not from any daily total); a
  conversion is attributed when its click id names a recorded click that is neither bot nor
  self, whatever the conversion table says about it;
- ratios exactly (``Fraction``), null on a zero denominator; money exactly (``Decimal``);
- vs_paid with :class:`statistics.NormalDist`;
- top_posts, conversions_by_type (in every report, the weeks included) and roi, whose
  revenue is the part in the EMV settings' currency (other currencies are not converted).

The EMV settings are what the test set through the API (:class:`Emv`), not a stored row.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from statistics import NormalDist
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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

MIN_SAMPLE = 30  # §6: below this many unique clicks, vs_paid warns


# ---------------------------------------------------------------------------- the raw rows


@dataclass(frozen=True)
class Person:
    id: str
    created_at: datetime
    deactivated_at: datetime | None
    topics: frozenset[str]
    groups: frozenset[str]


@dataclass(frozen=True)
class ShareRow:
    id: str
    user_id: str
    post_id: str
    network: str
    created_at: datetime
    followers: int


@dataclass(frozen=True)
class ClickRow:
    click_id: str
    share_id: str
    at: datetime
    bot: bool
    own: bool  # the ``self`` flag
    unique: bool

    @property
    def counted(self) -> bool:
        """§4: a click in every report is neither bot nor self."""
        return not self.bot and not self.own


@dataclass(frozen=True)
class ConversionRow:
    click_id: str | None
    type: str
    value: Decimal | None
    currency: str
    at: datetime


@dataclass(frozen=True)
class Snapshot:
    id: str
    taken_at: datetime
    impressions: int | None  # None: unknown, adds nothing
    engagements: int  # the known ones of likes, comments and reshares
    known: bool  # at least one metric is known


@dataclass(frozen=True)
class FeedbackRow:
    pilot_id: str
    user_id: str
    score: int
    at: datetime


@dataclass
class World:
    people: dict[str, Person]
    published: dict[str, datetime]  # post -> published_at, for posts ever published
    titles: dict[str, str | None]  # every post's title
    post_topics: dict[str, frozenset[str]]
    shares: dict[str, ShareRow]
    clicks: list[ClickRow]
    clicks_by_id: dict[str, ClickRow]
    conversions: list[ConversionRow]
    snapshots: dict[str, list[Snapshot]]
    feedback: list[FeedbackRow]

    def topics_of_post(self, post_id: str) -> frozenset[str]:
        return self.post_topics.get(post_id, frozenset())


@dataclass(frozen=True)
class Emv:
    """The EMV settings as the test set them through ``PUT /api/v1/settings/emv``."""

    currency: str
    cpm: dict[str, Decimal]


def _utc(moment: datetime) -> datetime:
    assert moment.tzinfo is not None, "the database answers aware UTC timestamps"
    return moment.astimezone(UTC)


async def read_world(session: AsyncSession) -> World:
    """Every row a KPI depends on, read table by table (no joins, no aggregates)."""
    topics: dict[str, set[str]] = defaultdict(set)
    for user_id, topic_id in await session.execute(select(user_topics.c.user_id,
                                                          user_topics.c.topic_id)):
        topics[user_id].add(topic_id)
    groups: dict[str, set[str]] = defaultdict(set)
    for user_id, group_id in await session.execute(select(user_groups.c.user_id,
                                                          user_groups.c.group_id)):
        groups[user_id].add(group_id)
    people = {
        u.id: Person(u.id, _utc(u.created_at),
                     _utc(u.deactivated_at) if u.deactivated_at else None,
                     frozenset(topics[u.id]), frozenset(groups[u.id]))
        for u in await session.scalars(select(User))}
    post_topics: dict[str, set[str]] = defaultdict(set)
    for link in await session.scalars(select(PostTopic)):
        post_topics[link.post_id].add(link.topic_id)
    posts = list(await session.scalars(select(Post)))
    published = {p.id: _utc(p.published_at) for p in posts if p.published_at is not None}
    shares = {s.id: ShareRow(s.id, s.user_id, s.post_id, str(s.network), _utc(s.created_at),
                             s.follower_count)
              for s in await session.scalars(select(Share))}
    clicks = [ClickRow(c.click_id, c.share_id, _utc(c.occurred_at), c.bot, c.is_self,
                       c.is_unique)
              for c in await session.scalars(select(Click))]
    conversions = [ConversionRow(c.click_id, c.type,
                                 Decimal(c.value) if c.value is not None else None,
                                 c.currency, _utc(c.occurred_at))
                   for c in await session.scalars(select(Conversion))]
    snapshots: dict[str, list[Snapshot]] = defaultdict(list)
    for s in await session.scalars(select(StatsSnapshot)):
        parts = [m for m in (s.likes, s.comments, s.reshares) if m is not None]
        snapshots[s.share_id].append(Snapshot(
            s.id, _utc(s.taken_at), s.impressions, sum(parts),
            s.impressions is not None or bool(parts)))
    feedback = [FeedbackRow(f.pilot_id, f.user_id, f.score, _utc(f.created_at))
                for f in await session.scalars(select(Feedback))]
    return World(people=people, published=published, titles={p.id: p.title for p in posts},
                 post_topics={k: frozenset(v) for k, v in post_topics.items()},
                 shares=shares, clicks=clicks, clicks_by_id={c.click_id: c for c in clicks},
                 conversions=conversions, snapshots=snapshots, feedback=feedback)


# ---------------------------------------------------------------------------- time


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """00:00 of ``day`` in ``tz``, as a UTC instant (zoneinfo knows that day's offset)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def iso_weeks(start: date, end: date) -> list[tuple[date, date]]:
    """The ISO weeks (Monday first) that meet [start, end), each clipped to it, as
    (first day, the day after the last day)."""
    weeks = []
    monday = start - timedelta(days=start.weekday())
    while monday < end:
        weeks.append((max(monday, start), min(monday + timedelta(days=7), end)))
        monday += timedelta(days=7)
    return weeks


# ---------------------------------------------------------------------------- rules


def can_see(person: Person, post_topics: frozenset[str]) -> bool:
    """§3, written out: follows one of the post's topics, or follows no topic."""
    if len(person.topics) == 0:
        return True
    return any(topic in person.topics for topic in post_topics)


def ratio(numerator: int, denominator: int) -> float | None:
    """Exact, then rounded once to the nearest float; null on a zero denominator."""
    if denominator == 0:
        return None
    return float(Fraction(numerator, denominator))


def cohort_of(world: World, *, group_ids: Iterable[str], user_ids: Iterable[str]) -> set[str]:
    """§6: the current members of the pilot's groups plus its users."""
    wanted = set(group_ids)
    return {p.id for p in world.people.values() if p.groups & wanted} | set(user_ids)


def enrolled_of(world: World, cohort: set[str] | None, cutoff: datetime) -> frozenset[str]:
    """Cohort users not deactivated at ``cutoff``; without a cohort (the organisation),
    every user existing and not deactivated then."""
    def enrolled(person: Person) -> bool:
        if cohort is None:
            if person.created_at > cutoff:
                return False
        elif person.id not in cohort:
            return False
        return person.deactivated_at is None or person.deactivated_at > cutoff

    return frozenset(p.id for p in world.people.values() if enrolled(p))


# ---------------------------------------------------------------------------- one report


@dataclass(frozen=True)
class Scope:
    """What one report (the total, a network, a topic, a group, a week) looks at."""

    start_at: datetime
    end_at: datetime
    enrolled: int  # the ``enrolled`` it shows
    advocates: frozenset[str]  # whose shares count and who may see posts
    share_ok: Callable[[ShareRow], bool]
    post_ok: Callable[[str], bool]  # which published posts the report counts
    feedback_from: frozenset[str]
    pilot_id: str | None  # feedback to this pilot only (None: every pilot's)

    def inside(self, moment: datetime) -> bool:
        return self.start_at <= moment < self.end_at


def _attributed(world: World, conversion: ConversionRow) -> ShareRow | None:
    """§3: attributed when its click id names a recorded click neither bot nor self."""
    if conversion.click_id is None:
        return None
    click = world.clicks_by_id.get(conversion.click_id)
    if click is None or not click.counted:
        return None
    return world.shares[click.share_id]


def kpis(world: World, emv: Emv, scope: Scope) -> dict[str, Any]:
    """Every KPI of §6's table for one scope; money as Decimal."""

    def ours(share: ShareRow) -> bool:
        return share.user_id in scope.advocates and scope.share_ok(share)

    made = [s for s in world.shares.values() if ours(s) and scope.inside(s.created_at)]
    published_here = {p for p, at in world.published.items() if scope.inside(at)}

    pairs = {(s.user_id, s.post_id) for s in made if s.post_id in published_here}
    posts_seen = visible_total = 0
    for post_id in published_here:
        if not scope.post_ok(post_id):
            continue
        topics = world.topics_of_post(post_id)
        viewers = [a for a in scope.advocates if can_see(world.people[a], topics)]
        posts_seen += 1 if viewers else 0
        visible_total += len(viewers)

    clicks = unique_clicks = 0
    for click in world.clicks:
        if click.counted and scope.inside(click.at) and ours(world.shares[click.share_id]):
            clicks += 1
            unique_clicks += 1 if click.unique else 0

    conversions = 0
    by_currency: dict[str, Decimal] = {}
    by_type: Counter[str] = Counter()
    for conversion in world.conversions:
        share = _attributed(world, conversion)
        if share is None or not ours(share) or not scope.inside(conversion.at):
            continue
        conversions += 1
        by_type[conversion.type] += 1
        if conversion.value is not None:
            by_currency[conversion.currency] = (by_currency.get(conversion.currency, Decimal(0))
                                                + conversion.value)
    if len(by_currency) == 1:
        ((revenue_currency, revenue),) = by_currency.items()
    elif not by_currency:
        revenue_currency, revenue = emv.currency, Decimal(0)
    else:
        revenue_currency, revenue = None, None

    reach = impressions = engagements = with_stats = 0
    value = Decimal(0)
    for share in made:
        reach += share.followers
        value += Decimal(share.followers) / 1000 * emv.cpm[share.network]
        before = [s for s in world.snapshots.get(share.id, []) if s.taken_at < scope.end_at]
        if before:
            newest = max(before, key=lambda s: s.taken_at)
            if newest.known:
                with_stats += 1
            impressions += newest.impressions or 0
            engagements += newest.engagements

    scores = [f.score for f in world.feedback
              if f.user_id in scope.feedback_from and scope.inside(f.at)
              and (scope.pilot_id is None or f.pilot_id == scope.pilot_id)]
    promoters = sum(1 for s in scores if 9 <= s <= 10)
    detractors = sum(1 for s in scores if 0 <= s <= 6)

    return {
        "enrolled": scope.enrolled,
        "active_advocates": len({s.user_id for s in made}),
        "participation_rate": ratio(len({s.user_id for s in made}), scope.enrolled),
        "posts_published": posts_seen,
        "shares": len(made),
        "share_rate": ratio(len(pairs), visible_total),
        "clicks": clicks,
        "unique_clicks": unique_clicks,
        "clicks_per_share": ratio(clicks, len(made)),
        "conversions": conversions,
        "revenue": revenue,
        "revenue_currency": revenue_currency,
        "revenue_by_currency": by_currency,
        "conversions_by_type": dict(by_type),
        "conversion_rate": ratio(conversions, unique_clicks),
        "reach": reach,
        "impressions": impressions,
        "engagements": engagements,
        "shares_with_stats": with_stats,
        "engagement_rate": ratio(engagements, impressions),
        "emv": value,
        "emv_currency": emv.currency,
        "feedback_score": float(Fraction(sum(scores), len(scores))) if scores else None,
        "enps": (float(Fraction(100 * (promoters - detractors), len(scores)))
                 if scores else None),
    }


# ---------------------------------------------------------------------------- a response


def _keys(world: World, everyone: frozenset[str], start_at: datetime, end_at: datetime
          ) -> tuple[set[str], set[str]]:
    """The networks and topics the breakdowns are keyed by: those some event of the range
    names (a share made, a click counted, a conversion attributed, on the enrolled
    advocates' shares), and, for topics, those of the posts published in the range."""
    def inside(moment: datetime) -> bool:
        return start_at <= moment < end_at

    touched = [s for s in world.shares.values() if inside(s.created_at)]
    touched += [world.shares[c.share_id] for c in world.clicks if c.counted and inside(c.at)]
    for conversion in world.conversions:
        share = _attributed(world, conversion)
        if share is not None and inside(conversion.at):
            touched.append(share)
    touched = [s for s in touched if s.user_id in everyone]
    networks = {s.network for s in touched}
    topics = {t for s in touched for t in world.topics_of_post(s.post_id)}
    topics |= {t for p, at in world.published.items() if inside(at)
               for t in world.topics_of_post(p)}
    return networks, topics


def top_posts(world: World, everyone: frozenset[str], start_at: datetime, end_at: datetime
              ) -> list[dict[str, Any]]:
    """§6: up to ten posts with at least one click in the range on the cohort's shares, most
    clicks first, then most conversions, then post id; each with the cohort's shares of it
    created in the range, its clicks, conversions and revenue per currency."""
    def inside(moment: datetime) -> bool:
        return start_at <= moment < end_at

    def ours(share: ShareRow) -> bool:
        return share.user_id in everyone

    rows: dict[str, dict[str, Any]] = {}

    def row(post_id: str) -> dict[str, Any]:
        return rows.setdefault(post_id, {"post_id": post_id, "title": world.titles[post_id],
                                         "shares": 0, "clicks": 0, "conversions": 0,
                                         "revenue_by_currency": {}})

    for click in world.clicks:
        share = world.shares[click.share_id]
        if click.counted and inside(click.at) and ours(share):
            row(share.post_id)["clicks"] += 1
    for share in world.shares.values():
        if ours(share) and inside(share.created_at):
            row(share.post_id)["shares"] += 1
    for conversion in world.conversions:
        attributed = _attributed(world, conversion)
        if attributed is None or not ours(attributed) or not inside(conversion.at):
            continue
        entry = row(attributed.post_id)
        entry["conversions"] += 1
        if conversion.value is not None:
            money = entry["revenue_by_currency"]
            money[conversion.currency] = (money.get(conversion.currency, Decimal(0))
                                          + conversion.value)
    clicked = [r for r in rows.values() if r["clicks"] >= 1]
    clicked.sort(key=lambda r: (-r["clicks"], -r["conversions"], r["post_id"]))
    return clicked[:10]


def roi_of(totals: dict[str, Any], emv: Emv, cost: Decimal | None) -> float | None:
    """§6: (revenue + emv − cost) / cost, revenue counted in the EMV currency only."""
    if cost is None or cost == 0:
        return None
    revenue = totals["revenue_by_currency"].get(emv.currency, Decimal(0))
    return float((Fraction(revenue) + Fraction(totals["emv"]) - Fraction(cost))
                 / Fraction(cost))


def report(world: World, emv: Emv, *, tz: ZoneInfo, cohort: set[str] | None,
           pilot_id: str | None, start: date, end: date, now: datetime,
           cost: Decimal | None = None) -> dict[str, Any]:
    """A §6 response: every KPI, top_posts and roi at the top level, then by_network,
    by_topic, by_group and weekly."""
    start_at, end_at = local_midnight(start, tz), local_midnight(end, tz)
    everyone = enrolled_of(world, cohort, min(end_at, now))

    def scope(**changes: Any) -> Scope:
        fields: dict[str, Any] = {
            "start_at": start_at, "end_at": end_at, "enrolled": len(everyone),
            "advocates": everyone, "share_ok": lambda s: True, "post_ok": lambda p: True,
            "feedback_from": everyone, "pilot_id": pilot_id}
        fields.update(changes)
        return Scope(**fields)

    out: dict[str, Any] = {"pilot_id": pilot_id, "from": start.isoformat(),
                           "to": end.isoformat(), **kpis(world, emv, scope())}
    out["top_posts"] = top_posts(world, everyone, start_at, end_at)
    out["roi"] = roi_of(out, emv, cost)
    networks, topics = _keys(world, everyone, start_at, end_at)
    # A network's or a topic's report keeps the cohort and its feedback; a network's keeps
    # every post, a topic's the posts in that topic.
    out["by_network"] = {n: kpis(world, emv, scope(share_ok=lambda s, n=n: s.network == n))
                         for n in sorted(networks)}
    out["by_topic"] = {
        t: kpis(world, emv, scope(
            share_ok=lambda s, t=t: t in world.topics_of_post(s.post_id),
            post_ok=lambda p, t=t: t in world.topics_of_post(p)))
        for t in sorted(topics)}
    by_group = {}
    for group in sorted({g for a in everyone for g in world.people[a].groups}):
        members = frozenset(a for a in everyone if group in world.people[a].groups)
        by_group[group] = kpis(world, emv, scope(enrolled=len(members), advocates=members,
                                                 feedback_from=members))
    out["by_group"] = by_group
    weekly = []
    for week_start, week_end in iso_weeks(start, end):
        week = kpis(world, emv, scope(start_at=local_midnight(week_start, tz),
                                      end_at=local_midnight(week_end, tz)))
        weekly.append({"week_start": week_start.isoformat(), "week_end": week_end.isoformat(),
                       **week})
    out["weekly"] = weekly
    return out


# ---------------------------------------------------------------------------- vs paid


def vs_paid(x1: int, n1: int, x2: int, n2: int) -> dict[str, Any]:
    """§6: advocacy (x₁ of n₁) against paid (x₂ of n₂); what cannot be computed is null."""
    normal = NormalDist()
    p1 = Fraction(x1, n1) if n1 else None
    p2 = Fraction(x2, n2) if n2 else None
    out: dict[str, Any] = {"advocacy_rate": p1, "paid_rate": p2, "lift": None, "diff": None,
                           "diff_ci95": None, "z": None, "p_value": None}
    if p1 is not None and p2:
        out["lift"] = p1 / p2 - 1
    if p1 is not None and p2 is not None:
        diff = p1 - p2
        out["diff"] = diff
        half = normal.inv_cdf(0.975) * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        out["diff_ci95"] = [float(diff) - half, float(diff) + half]
        pooled = Fraction(x1 + x2, n1 + n2)
        pooled_var = pooled * (1 - pooled) * (Fraction(1, n1) + Fraction(1, n2))
        if pooled_var > 0:
            z = float(diff) / math.sqrt(pooled_var)
            out["z"] = z
            out["p_value"] = 2 * (1 - normal.cdf(abs(z)))
    return {k: (float(v) if isinstance(v, Fraction) else v) for k, v in out.items()}
