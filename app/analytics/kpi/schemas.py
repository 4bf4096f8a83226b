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


class WeekKpis(Kpis):
    week_start: date = Field(description="First day of the (clipped) ISO week.")
    week_end: date = Field(description="The day after its last day, like `to`.")


class KpiReport(Kpis):
    model_config = ConfigDict(populate_by_name=True)

    pilot_id: str
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    vs_paid: VsPaid | None
    by_network: dict[str, Kpis]
    by_topic: dict[str, Kpis]
    by_group: dict[str, Kpis]
    weekly: list[WeekKpis]
    warnings: list[str]
