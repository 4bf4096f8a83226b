from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import ID_LENGTH, Base, IdMixin
from app.models.enums import Category, PostStatus


class Post(IdMixin, Base):
    __tablename__ = "posts"

    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    # Null while a suggestion waits for review: the marketer chooses it on approval.
    category: Mapped[Category | None] = mapped_column(String(16))
    captions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Locked: advocates share the marketer's caption as written (compliance wording).
    lock_caption: Mapped[bool] = mapped_column(Boolean, default=False)
    campaign: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[PostStatus] = mapped_column(String(16), index=True)
    publish_at: Mapped[datetime | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column(unique=True)
    expires_at: Mapped[datetime | None] = mapped_column()
    suggested_by: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    suggestion_note: Mapped[str | None] = mapped_column(Text)
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The link preview (``fetch_preview``): ``pending`` from the post's creation or URL change
    # until fetched, then ``done`` or ``failed`` (with the reason); null: nothing to fill.
    preview_state: Mapped[str | None] = mapped_column(String(8), index=True)
    preview_error: Mapped[str | None] = mapped_column(Text)
    # Which of title, summary and image_url the preview filled (not the marketer): a new URL
    # empties them, so the new page's preview replaces them.
    preview_fields: Mapped[list[str] | None] = mapped_column(JSON)
    previewed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_posts_status_created", "status", "created_at"),)


class PostTopic(Base):
    """A post's topic; ``published_at`` and ``category`` are copied here on publication
    so that a topic's last posts are one index range, whatever the history's size."""

    __tablename__ = "post_topics"

    post_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime | None] = mapped_column()
    category: Mapped[Category | None] = mapped_column(String(16))

    __table_args__ = (Index("ix_post_topics_topic_published", "topic_id", "published_at"),)


class PublisherLock(Base):
    """One row per named lock; the publisher updates its row first so that two publishers,
    in any process and on either backend, decide one after the other."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    taken_at: Mapped[datetime | None] = mapped_column()
