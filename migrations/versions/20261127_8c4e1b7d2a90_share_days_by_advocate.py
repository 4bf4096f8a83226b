"""share_days and conversions name their share's advocate, network and post, indexed by advocate

KPI reports read a cohort's daily click counts. Keyed by share alone, a cohort's rows are
scattered over the whole table (share ids are random): a report of a thousand advocates
visited most of the index. The rows now carry the share's advocate, network and post (a
share never changes them), and ``ix_share_days_user_day`` holds each advocate's days
together, with the counts (PostgreSQL: INCLUDE), so a report reads one index range per
advocate and never joins the shares. The primary key no longer needs to carry the counts
(revision 5d1c2a7e9f30), and nothing reads ``ix_share_days_day``. Conversions already
named their advocate and post; they now name the share's network too, and
``ix_conversions_advocate_occurred`` (PostgreSQL: with what a report reads) serves the same
per-advocate reads without visiting the conversions or the shares.

Revision ID: 8c4e1b7d2a90
Revises: 5d1c2a7e9f30
Create Date: 2026-11-27 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8c4e1b7d2a90'
down_revision: str | None = '5d1c2a7e9f30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = (("user_id", 32), ("network", 16), ("post_id", 32))


def _primary_key(include: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE share_days DROP CONSTRAINT share_days_pkey")
    op.execute(f"ALTER TABLE share_days ADD CONSTRAINT share_days_pkey "
               f"PRIMARY KEY (share_id, day){include}")


def upgrade() -> None:
    with op.batch_alter_table("share_days") as batch:
        for name, length in COPIED:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    op.execute("UPDATE share_days SET " + ", ".join(
        f"{name} = (SELECT shares.{name} FROM shares WHERE shares.id = share_days.share_id)"
        for name, _ in COPIED))
    with op.batch_alter_table("share_days") as batch:
        for name, length in COPIED:
            batch.alter_column(name, existing_type=sa.String(length=length), nullable=False)
        batch.drop_index("ix_share_days_day")
        batch.create_index("ix_share_days_user_day", ["user_id", "day"], unique=False,
                           postgresql_include=["network", "post_id", "clicks",
                                               "unique_clicks"])
    _primary_key("")
    with op.batch_alter_table("conversions") as batch:
        batch.add_column(sa.Column("network", sa.String(length=16), nullable=True))
    op.execute("UPDATE conversions SET network = (SELECT shares.network FROM shares "
               "WHERE shares.id = conversions.share_id) WHERE share_id IS NOT NULL")
    with op.batch_alter_table("conversions") as batch:
        batch.create_index("ix_conversions_advocate_occurred", ["advocate_id", "occurred_at"],
                           unique=False, postgresql_include=["attributed", "network", "post_id",
                                                             "currency", "value"])


def downgrade() -> None:
    with op.batch_alter_table("conversions") as batch:
        batch.drop_index("ix_conversions_advocate_occurred")
        batch.drop_column("network")
    _primary_key(" INCLUDE (clicks, unique_clicks)")
    with op.batch_alter_table("share_days") as batch:
        batch.drop_index("ix_share_days_user_day")
        batch.create_index("ix_share_days_day", ["day"], unique=False)
        for name, _ in reversed(COPIED):
            batch.drop_column(name)
