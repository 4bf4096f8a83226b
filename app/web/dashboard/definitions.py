"""The KPI tiles of a pilot: each KPI's label, how its value reads, why it may be empty, and
its CONTRACT §6 definition, as translatable strings (shown where the value is)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.web.i18n import N_


class Kind(StrEnum):
    """How a value is formatted."""

    number = "number"
    rate = "rate"  # a fraction shown as a percentage
    ratio = "ratio"  # a plain quotient (clicks per share)
    money = "money"
    score = "score"  # a mean of 0–10 scores
    enps = "enps"  # −100 to 100


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    kind: Kind
    definition: str
    # Why the value may be null (no denominator, no feedback); None: it never is.
    empty: str | None = None


NO_FEEDBACK = N_("No feedback was given in this range.")

KPIS: tuple[Kpi, ...] = (
    Kpi("enrolled", N_("Enrolled"), Kind.number, N_(
        "The cohort (the current members of the pilot's groups plus the people listed on "
        "it) who were not deactivated at the end of the range, or now if it ends later.")),
    Kpi("active_advocates", N_("Active advocates"), Kind.number, N_(
        "Enrolled advocates with at least one share in the range.")),
    Kpi("participation_rate", N_("Participation rate"), Kind.rate, N_(
        "Active advocates ÷ enrolled."),
        N_("No one is enrolled: there is nothing to divide by.")),
    Kpi("posts_published", N_("Posts published"), Kind.number, N_(
        "Posts published in the range that at least one enrolled advocate can see (a post "
        "is visible to those who follow one of its topics, or who follow no topic).")),
    Kpi("shares", N_("Shares"), Kind.number, N_(
        "Shares by enrolled advocates created in the range.")),
    Kpi("share_rate", N_("Share rate"), Kind.rate, N_(
        "Distinct (enrolled advocate, post published in the range) pairs shared in the range "
        "÷ the sum, over enrolled advocates, of the posts published in the range that each "
        "can see."),
        N_("No post published in the range was visible to the cohort: there is nothing to "
           "divide by.")),
    Kpi("clicks", N_("Clicks"), Kind.number, N_(
        "Clicks in the range on the cohort's shares, whatever the share's date; clicks by "
        "bots and link-preview fetchers, and the advocate's own clicks, are left out.")),
    Kpi("unique_clicks", N_("Unique clicks"), Kind.number, N_(
        "Those clicks that were the first of their visitor on that share that day (at most "
        "three per network address, share and day).")),
    Kpi("clicks_per_share", N_("Clicks per share"), Kind.ratio, N_("Clicks ÷ shares."),
        N_("No shares in the range: there is nothing to divide by.")),
    Kpi("conversions", N_("Conversions"), Kind.number, N_(
        "Attributed conversions occurring in the range on the cohort's shares: a sign-up, "
        "a download or a deal that followed a counted click.")),
    Kpi("conversion_rate", N_("Conversion rate"), Kind.rate, N_(
        "Conversions ÷ unique clicks."),
        N_("No unique clicks in the range: there is nothing to divide by.")),
    Kpi("revenue", N_("Revenue"), Kind.money, N_(
        "The sum of those conversions' values when they share one currency; with several "
        "currencies, the sum in each."),
        N_("Conversions came in several currencies: each is summed on its own.")),
    Kpi("reach", N_("Reach"), Kind.number, N_(
        "The sum, over the range's shares, of the follower count recorded on each share when "
        "it was made.")),
    Kpi("impressions", N_("Impressions"), Kind.number, N_(
        "The sum, over the range's shares, of the impressions in each share's newest stats "
        "snapshot taken before the range's end; a share without one adds 0.")),
    Kpi("engagements", N_("Engagements"), Kind.number, N_(
        "The same sum of likes + comments + reshares.")),
    Kpi("engagement_rate", N_("Engagement rate"), Kind.rate, N_(
        "Engagements ÷ impressions."),
        N_("No impressions recorded: there is nothing to divide by.")),
    Kpi("emv", N_("Earned media value"), Kind.money, N_(
        "What the same audience would cost in paid media: the sum, over the range's shares, "
        "of recorded followers ÷ 1,000 × the current CPM of the share's network, in the EMV "
        "settings' currency.")),
    Kpi("roi", N_("Return on investment"), Kind.rate, N_(
        "(Revenue in the EMV settings' currency + earned media value − the program's cost) ÷ "
        "its cost; the cost is set on the pilot, for the whole pilot."),
        N_("No cost is set: a pilot with a cost shows its return.")),
    Kpi("feedback_score", N_("Feedback score"), Kind.score, N_(
        "The mean of the feedback scores (0 to 10) given in the range."), NO_FEEDBACK),
    Kpi("enps", N_("eNPS"), Kind.enps, N_(
        "100 × (the share of scores of 9 or 10 − the share of scores from 0 to 6), from −100 "
        "to 100."), NO_FEEDBACK),
)
BY_NAME = {kpi.name: kpi for kpi in KPIS}


@dataclass(frozen=True)
class Section:
    title: str
    names: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section(N_("People"), ("enrolled", "active_advocates", "participation_rate")),
    Section(N_("Posts and shares"), ("posts_published", "shares", "share_rate")),
    Section(N_("Clicks and conversions"), ("clicks", "unique_clicks", "clicks_per_share",
                                           "conversions", "conversion_rate", "revenue")),
    Section(N_("Audience"), ("reach", "impressions", "engagements", "engagement_rate")),
    Section(N_("Value"), ("emv", "roi")),
    Section(N_("Feedback"), ("feedback_score", "enps")),
)

RANGE_RULE = N_(
    "Each event counts by its own time: shares made in the range, and clicks and conversions "
    "that happened in the range on any share of an enrolled advocate, whatever the share's "
    "date.")
