"""Running a program (issue 14): OKR owners, manual key results, check-ins and weekly
history, a pilot's cost, and scheduled reports

Objectives gain ``owner_id`` and a final ``score`` frozen once (``scored_at`` says it was
computed, the score itself may be null); key results gain ``kind`` (kpi | manual), ``unit``
and ``due_on``, and ``metric`` becomes optional (a manual key result has none);
``key_result_check_ins`` keeps each check-in and ``key_result_samples`` the daily value of
live key results; pilots gain ``cost`` (decimal text); ``report_schedules`` and
``report_sends`` (one row per schedule and period, written before sending) hold the
leadership report's email schedule.

Revision ID: 7a2c9e4b1d63
Revises: 5c1d2e3f4a5b
Create Date: 2026-12-04 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '7a2c9e4b1d63'
down_revision: str | None = '5c1d2e3f4a5b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pilots") as batch:
        batch.add_column(sa.Column("cost", sa.String(length=48), nullable=True))
    with op.batch_alter_table("objectives") as batch:
        batch.add_column(sa.Column("owner_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("scored_at", app.core.db.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.create_foreign_key("fk_objectives_owner_id_users", "users", ["owner_id"],
                                 ["id"], ondelete="SET NULL")
    with op.batch_alter_table("key_results") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=8), nullable=False,
                                   server_default="kpi"))
        batch.add_column(sa.Column("unit", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch.alter_column("metric", existing_type=sa.String(length=40), nullable=True)
    op.create_table(
        "key_result_check_ins",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("objective_id", sa.String(length=32), nullable=False),
        sa.Column("key_result_id", sa.String(length=32), nullable=True),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("value", sa.String(length=48), nullable=True),
        sa.Column("confidence", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["objective_id"], ["objectives.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["key_result_id"], ["key_results.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_key_result_check_ins_objective_created", "key_result_check_ins",
                    ["objective_id", "created_at"])
    op.create_table(
        "key_result_samples",
        sa.Column("key_result_id", sa.String(length=32), nullable=False),
        sa.Column("sampled_on", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=48), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["key_result_id"], ["key_results.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_result_id", "sampled_on"),
    )
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("pilot_id", sa.String(length=32), nullable=True),
        sa.Column("cadence", sa.String(length=8), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pilot_id"], ["pilots.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "report_sends",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("schedule_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["schedule_id"], ["report_schedules.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "period", name="uq_report_sends_schedule_period"),
    )


def downgrade() -> None:
    op.drop_table("report_sends")
    op.drop_table("report_schedules")
    op.drop_table("key_result_samples")
    op.drop_index("ix_key_result_check_ins_objective_created",
                  table_name="key_result_check_ins")
    op.drop_table("key_result_check_ins")
    # A manual key result has no metric: it cannot survive the old schema.
    op.execute("DELETE FROM key_results WHERE metric IS NULL")
    with op.batch_alter_table("key_results") as batch:
        batch.alter_column("metric", existing_type=sa.String(length=40), nullable=False)
        batch.drop_column("due_on")
        batch.drop_column("unit")
        batch.drop_column("kind")
    with op.batch_alter_table("objectives") as batch:
        batch.drop_constraint("fk_objectives_owner_id_users", type_="foreignkey")
        batch.drop_column("scored_at")
        batch.drop_column("score")
        batch.drop_column("owner_id")
    with op.batch_alter_table("pilots") as batch:
        batch.drop_column("cost")
