"""Job runs and link previews

``job_runs`` records each run of a background job (``GET /api/v1/jobs``); posts gain the
state of their link preview (``fetch_preview``). Posts already stored need no preview.

Revision ID: 06264b3ce746
Revises: efeedc160435
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '06264b3ce746'
down_revision: str | None = 'efeedc160435'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("runner", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_runs_started", "job_runs", ["started_at"])
    op.create_index("ix_job_runs_name_started", "job_runs", ["name", "started_at"])
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("preview_state", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("preview_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("preview_fields", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("previewed_at", app.core.db.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.create_index("ix_posts_preview_state", ["preview_state"])


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_index("ix_posts_preview_state")
        batch.drop_column("previewed_at")
        batch.drop_column("preview_fields")
        batch.drop_column("preview_error")
        batch.drop_column("preview_state")
    op.drop_index("ix_job_runs_name_started", table_name="job_runs")
    op.drop_index("ix_job_runs_started", table_name="job_runs")
    op.drop_table("job_runs")
