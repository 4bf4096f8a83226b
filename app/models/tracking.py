from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import ID_LENGTH, Base, IdMixin


class Click(IdMixin, Base):
    """Every request to a tracked link, bots and self-clicks included; flags never change."""

    __tablename__ = "clicks"

    click_id: Mapped[str] = mapped_column(String(64), unique=True)
    share_id: Mapped[str] = mapped_column(String(ID_LENGTH), ForeignKey("shares.id"))
    occurred_at: Mapped[datetime] = mapped_column()
    # The salt's UTC day: "unique" and "self" are decided within it.
    day: Mapped[date] = mapped_column(Date)
    visitor_hash: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(16))
    referrer_host: Mapped[str | None] = mapped_column(String(255))
    bot: Mapped[bool] = mapped_column(Boolean)
    is_self: Mapped[bool] = mapped_column("self", Boolean)
    is_unique: Mapped[bool] = mapped_column("is_unique", Boolean)

    __table_args__ = (
        Index("ix_clicks_share_occurred", "share_id", "occurred_at"),
        Index("ix_clicks_occurred", "occurred_at"),
    )


class UniqueVisit(Base):
    """The first counted click of a visitor on a share in a salt day: a primary key, so two
    processes recording the same visitor at once still mark only one click unique."""

    __tablename__ = "unique_visits"

    share_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    visitor_hash: Mapped[str] = mapped_column(String(64), primary_key=True)


class VisitorSalt(Base):
    """The day's salt for visitor hashes; yesterday's is deleted, so hashes cannot be
    recomputed from addresses afterwards."""

    __tablename__ = "visitor_salts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(128))


class AdvocateVisitor(Base):
    """A visitor hash an advocate used in an authenticated request during a salt day: a later
    click from it on their own share is a self-click."""

    __tablename__ = "advocate_visitors"

    user_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                         ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    visitor_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
