"""The KPI definitions of CONTRACT §6, from the per-key sums of ``Facts``.

The database has already added every event (a share, a day of clicks, a conversion, a
feedback score) to each report it belongs to: the total, its network, each topic of its post,
each group of its advocate, and its (clipped) week; a post or advocate in two topics or
groups counts in both. Here the sums become KPIs, and published posts are counted against
who can see them. Network and topic reports keep the whole cohort; a group's report is its
members'. Ratios with a zero denominator are None; money is Decimal until rendered.

``conversions_by_type`` is in every report, the weeks included (a week is the report of a
shorter range); ``top_posts`` and ``roi`` describe the whole response and are in the total
only (CONTRACT §6).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from app.analytics.kpi.breakdowns import TOTAL, Key
from app.analytics.kpi.facts import Facts, can_see

KPI_NAMES = (
    "enrolled", "active_advocates", "participation_rate", "posts_published", "shares",
    "share_rate", "clicks", "unique_clicks", "clicks_per_share", "conversions", "revenue",
    "conversion_rate", "reach", "impressions", "engagements", "engagement_rate", "emv",
    "feedback_score", "enps",
)


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _money(value: Decimal | None) -> str | None:
    return None if value is None else _text(value)


def _by_currency(by_currency: dict[str, Decimal]) -> dict[str, str]:
    return {c: _text(v) for c, v in sorted(by_currency.items())}


def roi(cost: Decimal, *, by_currency: dict[str, Decimal], emv: Decimal,
        currency: str) -> float | None:
    """§6: (revenue + emv − cost) / cost, in the EMV settings' currency: revenue in another
    currency is left out (no exchange rates), even when it is the only one. Exact until the
    one rounding to float; None when the cost is 0."""
    if not cost:
        return None
    gain = Fraction(by_currency.get(currency, Decimal(0))) + Fraction(emv) - Fraction(cost)
    return float(gain / Fraction(cost))


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
    by_type: Counter[str] = field(default_factory=Counter)
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
            "revenue_by_currency": _by_currency(self.by_currency),
            "conversions_by_type": dict(sorted(self.by_type.items())),
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
    total: dict[str, Any]  # also roi and top_posts, which no other report has
    by_network: dict[str, dict[str, Any]]
    by_topic: dict[str, dict[str, Any]]
    by_group: dict[str, dict[str, Any]]
    weekly: list[dict[str, Any]]


class _Pass:
    def __init__(self, facts: Facts, cost: Decimal | None) -> None:
        self.facts, self.cost = facts, cost
        self.sums: dict[Key, _Sums] = defaultdict(_Sums)

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
            self.sums[key].by_type = conversions.by_type
        for key, scores in facts.scores.items():
            self.sums[key].scores = scores

    def _posts(self) -> None:
        """posts_published and the share-rate denominator: viewers per post, counted by the
        set of topics each advocate follows (visibility depends on nothing else)."""
        everyone, by_group = self.facts.follows, self.facts.group_follows

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
        self.sums[TOTAL].enrolled = self.facts.follows.total()
        for group, follows in self.facts.group_follows.items():
            self.sums[("group", group)].enrolled = follows.total()

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
            total={**total.render(currency), "top_posts": self._top_posts(),
                   "roi": None if self.cost is None else roi(
                       self.cost, by_currency=total.by_currency, emv=total.emv,
                       currency=currency)},
            by_network={n: like_total(("network", n), posts=True)
                        for n in sorted(kinds["network"])},
            by_topic={t: like_total(("topic", t), posts=False) for t in sorted(kinds["topic"])},
            by_group={g: self.sums[("group", g)].render(currency)
                      for g in sorted(self.facts.group_follows)},
            weekly=weekly,
        )

    def _top_posts(self) -> list[dict[str, Any]]:
        out = []
        for post_id, title in self.facts.top_posts:
            sums = self.sums[("post", post_id)]
            out.append({"post_id": post_id, "title": title, "shares": sums.shares,
                        "clicks": sums.clicks, "conversions": sums.conversions,
                        "revenue_by_currency": _by_currency(sums.by_currency)})
        return out


def reports(facts: Facts, *, cost: Decimal | None = None) -> Reports:
    """Every report of a KPI response: the total, breakdowns and the weeks the facts were
    loaded with (``facts.weeks``, which cover ``[facts.start, facts.end)``). ``cost``: the
    pilot's, for ``roi`` (None: no roi)."""
    return _Pass(facts, cost).run()
