"""Tables of the networks domain (issue 12)

``network_connections`` holds members' OAuth connections (tokens encrypted),
``oauth_states`` the hashed single-use states of connections being made, and
``share_pulls`` each share's last stats pull. Stats snapshots may now leave a metric unknown
(null, never 0) and keep a pulled snapshot's API version and the network's other counts.

Revision ID: 9ea04f750008
Revises: 4634027f46f1
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '9ea04f750008'
down_revision: str | None = '4634027f46f1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRICS = ("impressions", "likes", "comments", "reshares")


def upgrade() -> None:
    op.create_table(
        "network_connections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("network", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("expires_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refresh_expires_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("connected_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paused_until", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expiry_notified_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reauth_notified_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "network", name="uq_network_connections_user_network"),
    )
    op.create_table(
        "oauth_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("network", sa.String(length=16), nullable=False),
        sa.Column("expires_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("state_hash"),
    )
    op.create_index("ix_oauth_states_expires_at", "oauth_states", ["expires_at"])
    op.create_table(
        "share_pulls",
        sa.Column("share_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("attempted_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("pulled_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retry_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["share_id"], ["shares.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("share_id"),
    )
    op.create_index("ix_share_pulls_attempted_at", "share_pulls", ["attempted_at"])
    with op.batch_alter_table("share_stats") as batch:
        for metric in METRICS:
            batch.alter_column(metric, existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("provider_version", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("extra", sa.JSON(), nullable=True))


def downgrade() -> None:
    # A snapshot with an unknown metric cannot be written without inventing a 0: it goes.
    op.execute(sa.text("DELETE FROM share_stats WHERE " + " OR ".join(
        f"{metric} IS NULL" for metric in METRICS)))
    with op.batch_alter_table("share_stats") as batch:
        batch.drop_column("extra")
        batch.drop_column("provider_version")
        for metric in METRICS:
            batch.alter_column(metric, existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_share_pulls_attempted_at", table_name="share_pulls")
    op.drop_table("share_pulls")
    op.drop_index("ix_oauth_states_expires_at", table_name="oauth_states")
    op.drop_table("oauth_states")
    op.drop_table("network_connections")
