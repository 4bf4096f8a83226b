"""The KPI definitions of CONTRACT §6, as pure functions over ``Facts``.

A report is computed for a window of local days ``[start, end)`` and a scope: a set of
advocates (the cohort, or one group's part of it), and optionally a network or a topic that
shares and posts must match. Ratios with a zero denominator are None; money is Decimal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from app.analytics.kpi.facts import Advocate, Facts, PostFact, ShareFact
from app.gamification.periods import midnight

KPI_NAMES = (
    "enrolled", "active_advocates", "participation_rate", "posts_published", "shares",
    "share_rate", "clicks", "unique_clicks", "clicks_per_share", "conversions", "revenue",
    "conversion_rate", "reach", "impressions", "engagements", "engagement_rate", "emv",
    "feedback_score", "enps",
)


@dataclass(frozen=True)
class Scope:
    advocates: dict[str, Advocate]
    network: str | None = None
    topic: str | None = None

    def share_ok(self, share: ShareFact) -> bool:
        return (share.user_id in self.advocates
                and (self.network is None or share.network == self.network)
                and (self.topic is None or self.topic in share.topics))

    def post_ok(self, post: PostFact) -> bool:
        return self.topic is None or self.topic in post.topics


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def _visible_pairs(posts: list[PostFact], advocates: dict[str, Advocate]) -> tuple[int, int]:
    """(posts seen by at least one advocate, Σ over advocates of the posts each can see).
    Advocates are grouped by the topics they follow: visibility depends on nothing else."""
    by_follows = Counter(a.topics for a in advocates.values())
    seen = total = 0
    for post in posts:
        viewers = sum(n for follows, n in by_follows.items()
                      if not follows or follows & post.topics)
        seen += viewers > 0
        total += viewers
    return seen, total


def report(facts: Facts, scope: Scope, start: date, end: date) -> dict[str, Any]:
    start_at, end_at = midnight(start, facts.tz), midnight(end, facts.tz)
    posts = [p for p in facts.posts.values()
             if start_at <= p.published_at < end_at and scope.post_ok(p)]
    shares = [s for s in facts.shares.values()
              if scope.share_ok(s) and start_at <= s.created_at < end_at]
    counted = [s for s in facts.shares.values() if scope.share_ok(s)]
    enrolled = len(scope.advocates)
    active = len({s.user_id for s in shares})
    posts_seen, visible_total = _visible_pairs(posts, scope.advocates)
    post_ids = {p.id for p in posts}
    pairs = {(s.user_id, s.post_id) for s in shares if s.post_id in post_ids}

    clicks = unique_clicks = 0
    for share in counted:
        for day, (c, u) in share.clicks_by_day.items():
            if start <= day < end:
                clicks += c
                unique_clicks += u

    share_ids = {s.id for s in counted}
    conversions = [c for c in facts.conversions
                   if c.share_id in share_ids and start_at <= c.occurred_at < end_at]
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for conversion in conversions:
        if conversion.value is not None:
            by_currency[conversion.currency] += conversion.value
    if len(by_currency) == 1:
        revenue_currency, revenue = next(iter(by_currency.items()))
    elif not by_currency:
        revenue_currency, revenue = facts.emv_currency, Decimal(0)
    else:
        revenue_currency, revenue = None, None

    impressions = engagements = with_stats = 0
    emv = Decimal(0)
    for share in shares:
        before_end = [s for s in share.snapshots if s[0] < end_at]
        if before_end:
            with_stats += 1
            impressions += before_end[-1][1]
            engagements += before_end[-1][2]
        emv += Decimal(share.followers) / 1000 * facts.cpm.get(share.network, Decimal(0))

    scores = [score for uid, at, score in facts.feedback
              if uid in scope.advocates and start_at <= at < end_at]
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return {
        "enrolled": enrolled,
        "active_advocates": active,
        "participation_rate": ratio(active, enrolled),
        "posts_published": posts_seen,
        "shares": len(shares),
        "share_rate": ratio(len(pairs), visible_total),
        "clicks": clicks,
        "unique_clicks": unique_clicks,
        "clicks_per_share": ratio(clicks, len(shares)),
        "conversions": len(conversions),
        "revenue": _money(revenue),
        "revenue_currency": revenue_currency,
        "revenue_by_currency": {c: _money(v) for c, v in sorted(by_currency.items())},
        "conversion_rate": ratio(len(conversions), unique_clicks),
        "reach": sum(s.followers for s in shares),
        "impressions": impressions,
        "engagements": engagements,
        "shares_with_stats": with_stats,
        "engagement_rate": ratio(engagements, impressions),
        "emv": _money(emv),
        "emv_currency": facts.emv_currency,
        "feedback_score": sum(scores) / len(scores) if scores else None,
        "enps": (100 * (promoters - detractors) / len(scores)) if scores else None,
    }


def _money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f") if value else "0"

