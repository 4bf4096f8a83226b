from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, time_ordered_id


class JobRun(IdMixin, Base):
    """One run of a background job (CONTRACT §9), for ``GET /api/v1/jobs``."""

    __tablename__ = "job_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=time_ordered_id)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[list[str]] = mapped_column(JSON)
    runner: Mapped[str] = mapped_column(String(8))
    """``arq`` or ``inline``."""
    status: Mapped[str] = mapped_column(String(8))
    """``ok``, ``failed`` or ``retry`` (it asked to run again later)."""
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime] = mapped_column()
    duration_ms: Mapped[int] = mapped_column(Integer)
    result: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_job_runs_started", "started_at"),
                      Index("ix_job_runs_name_started", "name", "started_at"))
