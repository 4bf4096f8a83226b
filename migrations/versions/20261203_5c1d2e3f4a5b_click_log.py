"""The click log and its projection (issue 13)

``click_log`` holds the one row the redirect writes per click until the projector has
turned it into a ``clicks`` row and everything derived; on SQLite it lives in its own file
(attached as schema ``clicklog`` while migrating). ``click_projection`` is the projector's
cursor and lock; ``clicks.seq`` the order flags were decided in; ``address_visits`` the
unique clicks per client address (at most 3 per share and salt day);
``advocate_visitors.seen_at`` when an advocate first used a visitor hash that day.

Revision ID: 5c1d2e3f4a5b
Revises: 2e2ebb6c1266
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '5c1d2e3f4a5b'
down_revision: str | None = '2e2ebb6c1266'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _log_schema() -> str | None:
    return app.core.db.CLICK_LOG_SCHEMA if op.get_bind().dialect.name == "sqlite" else None


def upgrade() -> None:
    op.create_table(
        "click_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(),
                  nullable=False),
        sa.Column("click_id", sa.String(length=64), nullable=False),
        sa.Column("share_id", sa.String(length=32), nullable=False),
        sa.Column("advocate_id", sa.String(length=32), nullable=False),
        sa.Column("network", sa.String(length=16), nullable=False),
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("occurred_us", sa.BigInteger(), nullable=False),
        sa.Column("visitor_hash", sa.String(length=64), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=True),
        sa.Column("device", sa.String(length=16), nullable=False),
        sa.Column("referrer_host", sa.String(length=255), nullable=True),
        sa.Column("bot", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        schema=_log_schema(),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "click_projection",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("log_position", sa.BigInteger(), nullable=False),
        sa.Column("projected", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute("INSERT INTO click_projection (name, log_position, projected) "
               "VALUES ('clicks', 0, 0)")
    op.create_table(
        "address_visits",
        sa.Column("share_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("uniques", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("share_id", "day", "address_hash"),
    )
    op.add_column("clicks", sa.Column("address_hash", sa.String(length=64), nullable=True))
    op.add_column("clicks", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("advocate_visitors",
                  sa.Column("seen_at", app.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("advocate_visitors") as batch:
        batch.drop_column("seen_at")
    with op.batch_alter_table("clicks") as batch:
        batch.drop_column("seq")
        batch.drop_column("address_hash")
    op.drop_table("address_visits")
    op.drop_table("click_projection")
    op.drop_table("click_log", schema=_log_schema())
