"""Tables of the webhooks domain (issue 12)

Revision ID: f58887512c3f
Revises: 06264b3ce746
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

revision: str = 'f58887512c3f'
down_revision: str | None = '06264b3ce746'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
