from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import ID_LENGTH, Base, IdMixin
from app.models.enums import Role

user_groups = Table(
    "user_groups",
    Base.metadata,
    Column("user_id", String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"),
           primary_key=True),
    Column("group_id", String(ID_LENGTH), ForeignKey("groups.id", ondelete="CASCADE"),
           primary_key=True),
    Index("ix_user_groups_group_id", "group_id"),
)

user_topics = Table(
    "user_topics",
    Base.metadata,
    Column("user_id", String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"),
           primary_key=True),
    Column("topic_id", String(ID_LENGTH), ForeignKey("topics.id", ondelete="CASCADE"),
           primary_key=True),
    Index("ix_user_topics_topic_id", "topic_id"),
)


class User(IdMixin, Base):
    __tablename__ = "users"

    # Stored lower-cased: addresses are compared case-insensitively (CONTRACT §2).
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    follower_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # `en` or `th`; null: the browser's Accept-Language decides.
    language: Mapped[str | None] = mapped_column(String(8))
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    deactivated_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def active(self) -> bool:
        return self.deactivated_at is None


class Group(IdMixin, Base):
    __tablename__ = "groups"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Topic(IdMixin, Base):
    __tablename__ = "topics"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
