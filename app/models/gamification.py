from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import ID_LENGTH, Base, IdMixin


class PointsEntry(IdMixin, Base):
    """The append-only points ledger: one row per awarded event, never updated.

    ``event_key`` (``share:<id>``, ``click:<click id>``, ``conversion:<id>``,
    ``suggestion:<post id>``) is unique, so an event processed twice awards once.
    """

    __tablename__ = "points_ledger"

    event_key: Mapped[str] = mapped_column(String(100), unique=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH), ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column()
    share_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PeriodStats(Base):
    """Per-advocate totals per leaderboard period, kept current as events arrive, so that a
    leaderboard never scans clicks. ``period`` is week, month, quarter or all; ``starts_on``
    is the period's first local day (``1970-01-01`` for all time)."""

    __tablename__ = "period_stats"

    user_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                         ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date, primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    conversions: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_period_stats_period_points", "period", "starts_on", "points"),)


class ShareDay(Base):
    """Counted clicks per share per local day: the daily click-points cap, and the KPIs'
    click counts without scanning every click. Each row repeats its share's advocate,
    network and post (a share never changes them), so that a cohort's days are one index
    range per advocate and a report never joins the shares."""

    __tablename__ = "share_days"

    share_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                          ForeignKey("shares.id", ondelete="CASCADE"),
                                          primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    network: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    unique_clicks: Mapped[int] = mapped_column(Integer, default=0)
    click_points: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        # PostgreSQL: KPI reports read the counts from this index alone.
        Index("ix_share_days_user_day", "user_id", "day",
              postgresql_include=["network", "post_id", "clicks", "unique_clicks"]),
    )


class Badge(Base):
    __tablename__ = "badges"

    user_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                         ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    earned_at: Mapped[datetime] = mapped_column()
