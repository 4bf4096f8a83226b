"""Tables of the feeds domain: registered RSS and Atom feeds, their topics, and the entries
each has already given (CONTRACT §3 feeds, §9 ``import_feeds``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import ID_LENGTH, Base, IdMixin
from app.models.enums import Category


class Feed(IdMixin, Base):
    """A feed whose new entries become queued posts of its category and topics."""

    __tablename__ = "feeds"

    url: Mapped[str] = mapped_column(Text)
    # SHA-256 of the URL: unique (a feed is registered once) whatever the URL's length.
    url_key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    """The feed's own title, from its last successful read."""
    category: Mapped[Category] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last read, whatever its outcome; null until the first one (the sweep reads those).
    last_fetched_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The validators of the last answer, sent back so an unchanged feed answers 304.
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)


class FeedTopic(Base):
    __tablename__ = "feed_topics"

    feed_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_feed_topics_topic_id", "topic_id"),)


class FeedEntry(Base):
    """An entry a feed has given, once: the primary key is what makes two concurrent reads
    of one feed import each entry once. ``post_id`` is the post it became; null for entries
    left out of a feed's first read (older than the newest few) or whose post is gone."""

    __tablename__ = "feed_entries"

    feed_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True)
    # SHA-256 of the entry's id (RSS guid, Atom id), else of its link.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("posts.id", ondelete="SET NULL"))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = ["Feed", "FeedEntry", "FeedTopic"]
