"""Tables of the digests domain (issue 12)

Revision ID: 2e2ebb6c1266
Revises: 9ea04f750008
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

revision: str = '2e2ebb6c1266'
down_revision: str | None = '9ea04f750008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
