from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import ID_LENGTH, Base, IdMixin


class Conversion(IdMixin, Base):
    """A sign-up, download, deal… reported by the company's systems, once per external id."""

    __tablename__ = "conversions"

    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    click_id: Mapped[str | None] = mapped_column(String(64), index=True)
    share_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), ForeignKey("shares.id"))
    advocate_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), ForeignKey("users.id"))
    post_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), ForeignKey("posts.id"))
    # The share's network, copied like its advocate and post: reports read conversions alone.
    network: Mapped[str | None] = mapped_column(String(16))
    attributed: Mapped[bool] = mapped_column(Boolean)
    type: Mapped[str] = mapped_column(String(64))
    # A decimal kept as its exact text: SQLite has no decimal type, and sums are done in Python.
    value: Mapped[str | None] = mapped_column(String(48))
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    site_key_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), ForeignKey("site_keys.id"))

    __table_args__ = (
        Index("ix_conversions_share_occurred", "share_id", "occurred_at"),
        Index("ix_conversions_occurred", "occurred_at"),
        # PostgreSQL: KPI reports read an advocate's conversions from this index alone.
        Index("ix_conversions_advocate_occurred", "advocate_id", "occurred_at",
              postgresql_include=["attributed", "network", "post_id", "currency", "value"]),
    )


class SiteKey(IdMixin, Base):
    """A publishable key for the browser snippet; only its origins may use it."""

    __tablename__ = "site_keys"

    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    origins: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
