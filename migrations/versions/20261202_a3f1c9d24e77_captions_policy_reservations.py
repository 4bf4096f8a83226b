"""Advocates' own captions within the company's policy, reserved native links, languages

Posts gain ``lock_caption`` (advocates share the marketer's wording as written); users gain
``language`` (`en` | `th`, null for the browser's) and ``reminders_opt_out``;
``policy_acceptances`` records who accepted which version of the sharing policy, and when;
``share_reservations`` holds the code of each advocate's future ``native`` share of a post,
handed out with the feed so that a phone opens its share sheet without a round trip.

Revision ID: a3f1c9d24e77
Revises: 8c4e1b7d2a90
Create Date: 2026-12-02 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = 'a3f1c9d24e77'
down_revision: str | None = '8c4e1b7d2a90'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("lock_caption", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("reminders_opt_out", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "policy_acceptances",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("accepted_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "version"),
    )
    op.create_table(
        "share_reservations",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("user_id", "post_id", name="uq_share_reservations_user_post"),
    )


def downgrade() -> None:
    op.drop_table("share_reservations")
    op.drop_table("policy_acceptances")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("reminders_opt_out")
        batch.drop_column("language")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("lock_caption")
