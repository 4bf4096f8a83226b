from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import ID_LENGTH, Base, IdMixin

pilot_groups = Table(
    "pilot_groups",
    Base.metadata,
    Column("pilot_id", String(ID_LENGTH), ForeignKey("pilots.id", ondelete="CASCADE"),
           primary_key=True),
    Column("group_id", String(ID_LENGTH), ForeignKey("groups.id", ondelete="CASCADE"),
           primary_key=True),
)

pilot_users = Table(
    "pilot_users",
    Base.metadata,
    Column("pilot_id", String(ID_LENGTH), ForeignKey("pilots.id", ondelete="CASCADE"),
           primary_key=True),
    Column("user_id", String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"),
           primary_key=True),
)


class Pilot(IdMixin, Base):
    __tablename__ = "pilots"

    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    paid_visits: Mapped[int | None] = mapped_column(Integer)
    paid_conversions: Mapped[int | None] = mapped_column(Integer)
    # Decimal text in the EMV settings' currency: the whole program's cost, for `roi`.
    cost: Mapped[str | None] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(IdMixin, Base):
    __tablename__ = "feedback"

    pilot_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                          ForeignKey("pilots.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH), ForeignKey("users.id"))
    week_starts_on: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("pilot_id", "user_id", "week_starts_on",
                                       name="uq_feedback_once_a_week"),)


class Objective(IdMixin, Base):
    __tablename__ = "objectives"

    title: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    pilot_id: Mapped[str | None] = mapped_column(String(ID_LENGTH),
                                                 ForeignKey("pilots.id", ondelete="SET NULL"))
    owner_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL",
                                      name="fk_objectives_owner_id_users"))
    # Frozen once after `ends_on`: `scored_at` says it was computed (the score may be null).
    score: Mapped[float | None] = mapped_column(Float)
    scored_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyResult(IdMixin, Base):
    __tablename__ = "key_results"

    objective_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                              ForeignKey("objectives.id", ondelete="CASCADE"),
                                              index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(8), default="kpi", server_default="kpi")
    metric: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(32))
    due_on: Mapped[date | None] = mapped_column(Date)
    # Decimal text, exact on every backend.
    target: Mapped[str] = mapped_column(String(48))
    baseline: Mapped[str] = mapped_column(String(48))


class CheckIn(IdMixin, Base):
    """A key result's (or the whole objective's) check-in: a confidence, and for a manual
    key result its new value."""

    __tablename__ = "key_result_check_ins"

    objective_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                              ForeignKey("objectives.id", ondelete="CASCADE"))
    key_result_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("key_results.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(String(ID_LENGTH),
                                                  ForeignKey("users.id", ondelete="SET NULL"))
    value: Mapped[str | None] = mapped_column(String(48))
    confidence: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_key_result_check_ins_objective_created", "objective_id",
                            "created_at"),)


class KeyResultSample(Base):
    """A live key result's value on one local day (the `sample_key_results` job)."""

    __tablename__ = "key_result_samples"

    key_result_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("key_results.id", ondelete="CASCADE"), primary_key=True)
    sampled_on: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[str | None] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportSchedule(IdMixin, Base):
    """The leadership report (a pilot's, or the organisation's without one), emailed weekly
    or monthly to its recipients in the language of the manager who scheduled it."""

    __tablename__ = "report_schedules"

    pilot_id: Mapped[str | None] = mapped_column(String(ID_LENGTH),
                                                 ForeignKey("pilots.id", ondelete="CASCADE"))
    cadence: Mapped[str] = mapped_column(String(8))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(8))
    created_by: Mapped[str | None] = mapped_column(String(ID_LENGTH),
                                                   ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportSend(IdMixin, Base):
    """One schedule's report of one period, recorded before it is sent (never twice)."""

    __tablename__ = "report_sends"

    schedule_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("report_schedules.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (UniqueConstraint("schedule_id", "period",
                                       name="uq_report_sends_schedule_period"),)
