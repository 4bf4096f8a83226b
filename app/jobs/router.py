"""``GET /api/v1/jobs`` (admin): recent job runs, newest first (CONTRACT §9)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.auth.access import AdminOnly
from app.core.pagination import Cursor, Limit, Page, SortKey, keyset, page_of
from app.core.routing import ChorusRoute, DbSession
from app.models import JobRun

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute, tags=["jobs"])


class JobRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str = Field(description="The job of CONTRACT §9, such as `publish_due`.")
    args: list[str] = Field(description="The ids it was run with.")
    runner: str = Field(description="`arq` (Redis) or `inline` (in-process).")
    status: str = Field(description="`ok`, `failed`, or `retry` (it will run again later).")
    attempt: int
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    result: Any = Field(None, description="What the run reported, such as counts.")
    error: str | None


_KEYS = (SortKey(JobRun.started_at, descending=True, is_datetime=True),
         SortKey(JobRun.id, descending=True))


@router.get("/jobs", response_model=Page[JobRunRead])
async def list_job_runs(
    _admin: AdminOnly, session: DbSession, limit: Limit = 50, cursor: Cursor = None,
    name: Annotated[str | None, Query(max_length=64, description="Only this job.")] = None,
    status: Annotated[str | None, Query(pattern="^(ok|failed|retry)$",
                                        description="Only runs with this status.")] = None,
) -> Page[JobRunRead]:
    """Recent runs of the background jobs, newest first, kept for a week."""
    stmt = select(JobRun)
    if name is not None:
        stmt = stmt.where(JobRun.name == name)
    if status is not None:
        stmt = stmt.where(JobRun.status == status)
    rows = list(await session.scalars(keyset(stmt, _KEYS, cursor, limit)))
    items, next_cursor = page_of(rows, _KEYS, limit)
    return Page(items=[JobRunRead.model_validate(r) for r in items], next_cursor=next_cursor)
