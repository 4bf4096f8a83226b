from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.analytics.kpi.stats import VsPaid


class Kpis(BaseModel):
    """The KPIs of CONTRACT §6; ratios are fractions (null when the denominator is zero)."""

    enrolled: int
    active_advocates: int
    participation_rate: float | None
    posts_published: int
    shares: int
    share_rate: float | None
    clicks: int = Field(description="Not bots, not the advocate's own.")
    unique_clicks: int
    clicks_per_share: float | None
    conversions: int
    revenue: str | None = Field(description="Null when conversions use several currencies.")
    revenue_currency: str | None
    revenue_by_currency: dict[str, str]
    conversions_by_type: dict[str, int] = Field(
        default_factory=dict,
        description="Attributed conversions per `type`. In every breakdown and week too.")
    conversion_rate: float | None
    reach: int
    impressions: int
    engagements: int
    shares_with_stats: int
    engagement_rate: float | None
    emv: str
    emv_currency: str
    feedback_score: float | None
    enps: float | None


class TopPost(BaseModel):
    post_id: str
    title: str | None
    shares: int = Field(description="The cohort's shares of it created in the range.")
    clicks: int
    conversions: int
    revenue_by_currency: dict[str, str]


class WeekKpis(Kpis):
    week_start: date = Field(description="First day of the (clipped) ISO week.")
    week_end: date = Field(description="The day after its last day, like `to`.")


class KpiReport(Kpis):
    model_config = ConfigDict(populate_by_name=True)

    pilot_id: str | None = Field(description="Null for the organisation's report.")
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    top_posts: list[TopPost] = Field(
        description="Up to ten posts clicked in the range: most clicks, then most "
                    "conversions, then post id.")
    roi: float | None = Field(
        description="(revenue + emv − cost) / cost, revenue in the EMV currency only; null "
                    "without a pilot cost (always, for the organisation).")
    vs_paid: VsPaid | None
    by_network: dict[str, Kpis]
    by_topic: dict[str, Kpis]
    by_group: dict[str, Kpis]
    weekly: list[WeekKpis]
    warnings: list[str]
