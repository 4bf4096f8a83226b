"""share_days: the primary key carries the click counts (PostgreSQL)

KPI reports sum a cohort's daily click counts per share; with the counts in the key's index
PostgreSQL answers from the index alone instead of visiting a heap page per share and day.
SQLite has no INCLUDE: nothing changes there.

Revision ID: 5d1c2a7e9f30
Revises: b7876f785afd
Create Date: 2026-11-23 07:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '5d1c2a7e9f30'
down_revision: str | None = 'b7876f785afd'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _primary_key(include: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE share_days DROP CONSTRAINT share_days_pkey")
    op.execute(f"ALTER TABLE share_days ADD CONSTRAINT share_days_pkey "
               f"PRIMARY KEY (share_id, day){include}")


def upgrade() -> None:
    _primary_key(" INCLUDE (clicks, unique_clicks)")


def downgrade() -> None:
    _primary_key("")
