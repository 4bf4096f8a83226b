"""The KPI definitions of CONTRACT §6, from the per-key sums of ``Facts``.

The database has already added every event (a share, a day of clicks, a conversion, a
feedback score) to each report it belongs to: the total, its network, each topic of its post,
each group of its advocate, and its (clipped) week; a post or advocate in two topics or
groups counts in both. Here the sums become KPIs, and published posts are counted against
who can see them. Network and topic reports keep the whole cohort; a group's report is its
members'. Ratios with a zero denominator are None; money is Decimal until rendered.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.analytics.kpi.breakdowns import TOTAL, Key
from app.analytics.kpi.facts import Advocate, Facts, can_see

KPI_NAMES = (
    "enrolled", "active_advocates", "participation_rate", "posts_published", "shares",
    "share_rate", "clicks", "unique_clicks", "clicks_per_share", "conversions", "revenue",
    "conversion_rate", "reach", "impressions", "engagements", "engagement_rate", "emv",
    "feedback_score", "enps",
)


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def _money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f") if value else "0"


@dataclass
class _Sums:
    enrolled: int = 0
    active: int = 0
    shares: int = 0
    pairs: int = 0
    posts_seen: int = 0
    visible_total: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    conversions: int = 0
    by_currency: dict[str, Decimal] = field(default_factory=dict)
    reach: int = 0
    impressions: int = 0
    engagements: int = 0
    with_stats: int = 0
    emv: Decimal = Decimal(0)
    scores: Counter[int] = field(default_factory=Counter)

    def render(self, fallback_currency: str) -> dict[str, Any]:
        if len(self.by_currency) == 1:
            revenue_currency, revenue = next(iter(self.by_currency.items()))
        elif not self.by_currency:
            revenue_currency, revenue = fallback_currency, Decimal(0)
        else:
            revenue_currency, revenue = None, None
        given = self.scores.total()
        promoters = sum(n for score, n in self.scores.items() if score >= 9)
        detractors = sum(n for score, n in self.scores.items() if score <= 6)
        return {
            "enrolled": self.enrolled,
            "active_advocates": self.active,
            "participation_rate": ratio(self.active, self.enrolled),
            "posts_published": self.posts_seen,
            "shares": self.shares,
            "share_rate": ratio(self.pairs, self.visible_total),
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
            "feedback_score": (sum(score * n for score, n in self.scores.items()) / given
                               if given else None),
            "enps": 100 * (promoters - detractors) / given if given else None,
        }


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
        self.sums: dict[Key, _Sums] = defaultdict(_Sums)
        self.members: dict[str, list[Advocate]] = defaultdict(list)
        for advocate in facts.advocates.values():
            for group in advocate.groups:
                self.members[group].append(advocate)

    def run(self) -> Reports:
        self._events()
        self._posts()
        self._people()
        return self._render()

    def _events(self) -> None:
        facts, cpm = self.facts, self.facts.cpm
        for key, networks in facts.shares.items():
            sums = self.sums[key]
            for network, shares in networks.items():
                sums.shares += shares.shares
                sums.reach += shares.followers
                sums.emv += Decimal(shares.followers) / 1000 * cpm.get(network, Decimal(0))
                sums.with_stats += shares.with_stats
                sums.impressions += shares.impressions
                sums.engagements += shares.engagements
        for key, (active, pairs) in facts.sharers.items():
            self.sums[key].active, self.sums[key].pairs = active, pairs
        for key, (clicks, unique) in facts.clicks.items():
            self.sums[key].clicks, self.sums[key].unique_clicks = clicks, unique
        for key, conversions in facts.conversions.items():
            self.sums[key].conversions = conversions.count
            self.sums[key].by_currency = dict(conversions.by_currency)
        for key, scores in facts.scores.items():
            self.sums[key].scores = scores

    def _posts(self) -> None:
        """posts_published and the share-rate denominator: viewers per post, counted by the
        set of topics each advocate follows (visibility depends on nothing else)."""
        everyone = Counter(a.topics for a in self.facts.advocates.values())
        by_group = {g: Counter(a.topics for a in members) for g, members in self.members.items()}

        def viewers(follows: Counter[frozenset[str]], topics: frozenset[str]) -> int:
            return sum(n for followed, n in follows.items() if can_see(followed, topics))

        for post in self.facts.posts:
            seen = viewers(everyone, post.topics)
            targets: list[tuple[Key, int]] = [(TOTAL, seen)]
            targets += [(("topic", t), seen) for t in post.topics]
            if post.week is not None:
                targets.append((("week", str(post.week)), seen))
            targets += [(("group", g), viewers(c, post.topics)) for g, c in by_group.items()]
            for key, count in targets:
                self.sums[key].posts_seen += count > 0
                self.sums[key].visible_total += count

    def _people(self) -> None:
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
        for index in range(len(self.facts.weeks)):
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
