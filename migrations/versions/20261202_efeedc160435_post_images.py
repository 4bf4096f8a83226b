"""Posts' images, kept by Chorus so that pages show them without loading from elsewhere

``post_images`` holds, per post, the image fetched from its ``image_url`` (its bytes, the
type the bytes show, their SHA-256 for the ETag), or the error of the last failed attempt.

Revision ID: efeedc160435
Revises: a3f1c9d24e77
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = 'efeedc160435'
down_revision: str | None = 'a3f1c9d24e77'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post_images",
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("fetched_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id"),
    )


def downgrade() -> None:
    op.drop_table("post_images")
