from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyResult(IdMixin, Base):
    __tablename__ = "key_results"

    objective_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                              ForeignKey("objectives.id", ondelete="CASCADE"),
                                              index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    metric: Mapped[str] = mapped_column(String(40))
    # Decimal text, exact on every backend.
    target: Mapped[str] = mapped_column(String(48))
    baseline: Mapped[str] = mapped_column(String(48))
