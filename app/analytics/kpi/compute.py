"""The KPI definitions of CONTRACT §6, computed in one pass over ``Facts``.

Every fact (a share, a day of clicks, a conversion, a published post, a feedback score)
is added to each report it belongs to: the total, its network, each topic of its post, each
group of its advocate, and its (clipped) week. A post or advocate in two topics or groups
counts in both. Network and topic reports keep the whole cohort; a group's report is its
members'. Ratios with a zero denominator are None; money is Decimal until rendered.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.analytics.kpi.facts import Advocate, Facts, Origin, ShareFact, can_see
from app.gamification.periods import midnight

KPI_NAMES = (
    "enrolled", "active_advocates", "participation_rate", "posts_published", "shares",
    "share_rate", "clicks", "unique_clicks", "clicks_per_share", "conversions", "revenue",
    "conversion_rate", "reach", "impressions", "engagements", "engagement_rate", "emv",
    "feedback_score", "enps",
)
Key = tuple[str, str]
TOTAL: Key = ("total", "")


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def _money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f") if value else "0"


@dataclass
class _Sums:
    enrolled: int = 0
    active: set[str] = field(default_factory=set)
    shares: int = 0
    pairs: set[tuple[str, str]] = field(default_factory=set)
    posts_seen: int = 0
    visible_total: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    conversions: int = 0
    by_currency: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    reach: int = 0
    impressions: int = 0
    engagements: int = 0
    with_stats: int = 0
    emv: Decimal = Decimal(0)
    scores: list[int] = field(default_factory=list)

    def render(self, fallback_currency: str) -> dict[str, Any]:
        if len(self.by_currency) == 1:
            revenue_currency, revenue = next(iter(self.by_currency.items()))
        elif not self.by_currency:
            revenue_currency, revenue = fallback_currency, Decimal(0)
        else:
            revenue_currency, revenue = None, None
        scores = self.scores
        promoters = sum(s >= 9 for s in scores)
        detractors = sum(s <= 6 for s in scores)
        return {
            "enrolled": self.enrolled,
            "active_advocates": len(self.active),
            "participation_rate": ratio(len(self.active), self.enrolled),
            "posts_published": self.posts_seen,
            "shares": self.shares,
            "share_rate": ratio(len(self.pairs), self.visible_total),
            "clicks": self.clicks,
            "unique_clicks": self.unique_clicks,
            "clicks_per_share": ratio(self.clicks, self.shares),
            "conversions": self.conversions,
            "revenue": _money(revenue),
            "revenue_currency": revenue_currency,
            "revenue_by_currency": {c: _money(v) for c, v in sorted(self.by_currency.items())},
            "conversion_rate": ratio(self.conversions, self.unique_clicks),
            "reach": self.reach,
            "impressions": self.impressions,
            "engagements": self.engagements,
            "shares_with_stats": self.with_stats,
            "engagement_rate": ratio(self.engagements, self.impressions),
            "emv": _money(self.emv),
            "emv_currency": fallback_currency,
            "feedback_score": sum(scores) / len(scores) if scores else None,
            "enps": 100 * (promoters - detractors) / len(scores) if scores else None,
        }


@dataclass
class _ShareSums:
    """The share-made KPIs of a set of shares, before they are added to a report."""

    shares: int = 0
    # Reach and EMV are linear in followers: summed per network, priced once at the end.
    followers: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    with_stats: int = 0
    impressions: int = 0
    engagements: int = 0
    users: set[str] = field(default_factory=set)
    pairs: set[tuple[str, str]] = field(default_factory=set)

    def add(self, share: ShareFact, snapshot: tuple[int, int] | None, *, pair: bool) -> None:
        self.shares += 1
        self.followers[share.origin.network] += share.followers
        self.users.add(share.origin.user_id)
        if snapshot is not None:
            self.with_stats += 1
            self.impressions += snapshot[0]
            self.engagements += snapshot[1]
        if pair:
            self.pairs.add((share.origin.user_id, share.origin.post_id))

    def into(self, sums: _Sums, cpm: dict[str, Decimal]) -> None:
        sums.shares += self.shares
        for network, followers in self.followers.items():
            sums.reach += followers
            sums.emv += Decimal(followers) / 1000 * cpm.get(network, Decimal(0))
        sums.with_stats += self.with_stats
        sums.impressions += self.impressions
        sums.engagements += self.engagements
        sums.active |= self.users
        sums.pairs |= self.pairs


@dataclass
class Reports:
    total: dict[str, Any]
    by_network: dict[str, dict[str, Any]]
    by_topic: dict[str, dict[str, Any]]
    by_group: dict[str, dict[str, Any]]
    weekly: list[dict[str, Any]]


class _Pass:
    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.weeks = facts.weeks
        self.week_ends = [midnight(end, facts.tz) for _, end in facts.weeks]
        self.start_at = midnight(facts.start, facts.tz)
        self.end_at = midnight(facts.end, facts.tz)
        self.sums: dict[Key, _Sums] = defaultdict(_Sums)
        self.members: dict[str, list[Advocate]] = defaultdict(list)
        for advocate in facts.advocates.values():
            for group in advocate.groups:
                self.members[group].append(advocate)

    def week_of(self, day: date) -> int | None:
        for index, (start, end) in enumerate(self.weeks):
            if start <= day < end:
                return index
        return None

    def local_week(self, moment: datetime) -> int | None:
        return self.week_of(moment.astimezone(self.facts.tz).date())

    def keys(self, origin: Origin, week: int | None) -> list[Key]:
        keys = [TOTAL, ("network", origin.network)]
        keys += [("topic", t) for t in self.facts.topics.get(origin.post_id, ())]
        keys += [("group", g) for g in self.facts.advocates[origin.user_id].groups]
        if week is not None:
            keys.append(("week", str(week)))
        return keys

    @staticmethod
    def _newest_before(share: ShareFact, end: datetime) -> tuple[int, int] | None:
        found = None
        for taken_at, impressions, engagements in share.snapshots:
            if taken_at < end:
                found = (impressions, engagements)
        return found

    def run(self) -> Reports:
        facts = self.facts
        posts = [p for p in facts.posts.values() if self.start_at <= p.published_at < self.end_at]
        post_week = {p.id: self.local_week(p.published_at) for p in posts}
        self._shares(post_week)
        self._clicks()
        for conversion in facts.conversions:
            for key in self.keys(conversion.origin, self.local_week(conversion.occurred_at)):
                sums = self.sums[key]
                sums.conversions += 1
                if conversion.value is not None:
                    sums.by_currency[conversion.currency] += conversion.value
        self._posts(posts, post_week)
        self._people()
        return self._render()

    def _shares(self, post_week: dict[str, int | None]) -> None:
        """Shares made in the range, summed per (network, post), per advocate and per week
        first (a week sees the newest snapshot before its own end, and a pair only when the
        post was published that week), then spread over the keys."""
        by_post: dict[tuple[str, str], _ShareSums] = defaultdict(_ShareSums)
        by_user: dict[str, _ShareSums] = defaultdict(_ShareSums)
        by_week: dict[int, _ShareSums] = defaultdict(_ShareSums)
        for share in self.facts.shares.values():
            origin = share.origin
            snapshot = self._newest_before(share, self.end_at)
            published = origin.post_id in post_week
            for sums in (by_post[(origin.network, origin.post_id)], by_user[origin.user_id]):
                sums.add(share, snapshot, pair=published)
            week = self.local_week(share.created_at)
            if week is not None:
                by_week[week].add(share, self._newest_before(share, self.week_ends[week]),
                                  pair=published and post_week[origin.post_id] == week)
        cpm = self.facts.cpm
        for (network, post_id), sums in by_post.items():
            sums.into(self.sums[TOTAL], cpm)
            sums.into(self.sums[("network", network)], cpm)
            for topic in self.facts.topics.get(post_id, ()):
                sums.into(self.sums[("topic", topic)], cpm)
        for user_id, sums in by_user.items():
            for group in self.facts.advocates[user_id].groups:
                sums.into(self.sums[("group", group)], cpm)
        for week, sums in by_week.items():
            sums.into(self.sums[("week", str(week))], cpm)

    def _clicks(self) -> None:
        """Clicks arrive summed per (network, post, week) and per advocate."""
        totals = self.facts.clicks
        by_week: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        by_post: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for (network, post_id, week), (clicks, unique) in totals.by_post_week.items():
            for counts in (by_week[week], by_post[(network, post_id)]):
                counts[0] += clicks
                counts[1] += unique

        def add(key: Key, counts: Sequence[int]) -> None:
            self.sums[key].clicks += counts[0]
            self.sums[key].unique_clicks += counts[1]

        for week, counts in by_week.items():
            add(TOTAL, counts)
            if self.weeks:
                add(("week", str(week)), counts)
        for (network, post_id), counts in by_post.items():
            add(("network", network), counts)
            for topic in self.facts.topics.get(post_id, ()):
                add(("topic", topic), counts)
        for user_id, user_counts in totals.by_user.items():
            for group in self.facts.advocates[user_id].groups:
                add(("group", group), user_counts)

    def _posts(self, posts: list[Any], post_week: dict[str, int | None]) -> None:
        """posts_published and the share-rate denominator: viewers per post, counted by the
        set of topics each advocate follows (visibility depends on nothing else)."""
        everyone = Counter(a.topics for a in self.facts.advocates.values())
        by_group = {g: Counter(a.topics for a in members) for g, members in self.members.items()}

        def viewers(follows: Counter[frozenset[str]], topics: frozenset[str]) -> int:
            return sum(n for followed, n in follows.items() if can_see(followed, topics))

        for post in posts:
            seen = viewers(everyone, post.topics)
            targets: list[tuple[Key, int]] = [(TOTAL, seen)]
            targets += [(("topic", t), seen) for t in post.topics]
            week = post_week[post.id]
            if week is not None:
                targets.append((("week", str(week)), seen))
            targets += [(("group", g), viewers(c, post.topics)) for g, c in by_group.items()]
            for key, count in targets:
                self.sums[key].posts_seen += count > 0
                self.sums[key].visible_total += count

    def _people(self) -> None:
        for uid, at, score in self.facts.feedback:
            if not self.start_at <= at < self.end_at:
                continue
            keys: list[Key] = [TOTAL]
            keys += [("group", g) for g in self.facts.advocates[uid].groups]
            week = self.local_week(at)
            if week is not None:
                keys.append(("week", str(week)))
            for key in keys:
                self.sums[key].scores.append(score)
        self.sums[TOTAL].enrolled = len(self.facts.advocates)
        for group, members in self.members.items():
            self.sums[("group", group)].enrolled = len(members)

    def _render(self) -> Reports:
        total = self.sums[TOTAL]
        currency = self.facts.emv_currency

        def like_total(key: Key, *, posts: bool) -> dict[str, Any]:
            # Network and topic reports keep the cohort, its feedback and (networks) its posts.
            sums = self.sums[key]
            sums.enrolled, sums.scores = total.enrolled, total.scores
            if posts:
                sums.posts_seen, sums.visible_total = total.posts_seen, total.visible_total
            return sums.render(currency)

        kinds: dict[str, list[str]] = defaultdict(list)
        for kind, name in list(self.sums):
            kinds[kind].append(name)
        weekly = []
        for index in range(len(self.weeks)):
            sums = self.sums[("week", str(index))]
            sums.enrolled = total.enrolled
            weekly.append(sums.render(currency))
        return Reports(
            total=total.render(currency),
            by_network={n: like_total(("network", n), posts=True)
                        for n in sorted(kinds["network"])},
            by_topic={t: like_total(("topic", t), posts=False) for t in sorted(kinds["topic"])},
            by_group={g: self.sums[("group", g)].render(currency)
                      for g in sorted(self.members)},
            weekly=weekly,
        )


def reports(facts: Facts) -> Reports:
    """Every report of a KPI response: the total, breakdowns and the weeks the facts were
    loaded with (``facts.weeks``, which cover ``[facts.start, facts.end)``)."""
    return _Pass(facts).run()
