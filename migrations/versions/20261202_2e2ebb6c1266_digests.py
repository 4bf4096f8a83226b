"""Tables of the digests domain (issue 12)

``reminder_digests`` records each advocate's email digest per period and
``channel_digests`` each channel's weekly digest, both unique per (recipient, period) and
written before sending; ``digest_channels`` holds the Slack and Teams webhook URLs
(encrypted).

Revision ID: 2e2ebb6c1266
Revises: 9ea04f750008
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '2e2ebb6c1266'
down_revision: str | None = '9ea04f750008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sends(name: str, owner: str, owner_table: str, constraint: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column(owner, sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("post_ids", sa.JSON(), nullable=False),
        sa.Column("window_end", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint([owner], [f"{owner_table}.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(owner, "period", name=constraint),
    )


def upgrade() -> None:
    op.create_table(
        "digest_channels",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url_encrypted", sa.Text(), nullable=False),
        sa.Column("url_digest", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url_digest"),
    )
    _sends("reminder_digests", "user_id", "users", "uq_reminder_digests_user_period")
    _sends("channel_digests", "channel_id", "digest_channels",
           "uq_channel_digests_channel_period")


def downgrade() -> None:
    op.drop_table("channel_digests")
    op.drop_table("reminder_digests")
    op.drop_table("digest_channels")
