"""Tables of the feeds domain (issue 12)

Revision ID: 4634027f46f1
Revises: f58887512c3f
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

revision: str = '4634027f46f1'
down_revision: str | None = 'f58887512c3f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
