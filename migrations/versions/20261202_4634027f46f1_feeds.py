"""Tables of the feeds domain (issue 12)

``feeds`` holds the RSS and Atom feeds marketers register, ``feed_topics`` their topics, and
``feed_entries`` every entry each feed has given (once per feed, by its id or link), with
the post it became.

Revision ID: 4634027f46f1
Revises: f58887512c3f
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '4634027f46f1'
down_revision: str | None = 'f58887512c3f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_fetched_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url_key"),
    )
    op.create_index("ix_feeds_last_fetched_at", "feeds", ["last_fetched_at"])
    op.create_table(
        "feed_topics",
        sa.Column("feed_id", sa.String(length=32), nullable=False),
        sa.Column("topic_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("feed_id", "topic_id"),
    )
    op.create_index("ix_feed_topics_topic_id", "feed_topics", ["topic_id"])
    op.create_table(
        "feed_entries",
        sa.Column("feed_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("post_id", sa.String(length=32), nullable=True),
        sa.Column("seen_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("feed_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("feed_entries")
    op.drop_index("ix_feed_topics_topic_id", table_name="feed_topics")
    op.drop_table("feed_topics")
    op.drop_index("ix_feeds_last_fetched_at", table_name="feeds")
    op.drop_table("feeds")
