"""Tables of the networks domain (issue 12)

Revision ID: 9ea04f750008
Revises: 4634027f46f1
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

revision: str = '9ea04f750008'
down_revision: str | None = '4634027f46f1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
