"""Exports for managers (KPIs and OKRs join this router in their issue)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse

from app.analytics.exports import export_named, stream_csv
from app.auth.access import ManagerOnly
from app.core.errors import Invalid
from app.core.routing import ChorusRoute

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute, tags=["exports"])


def _day_start(day: date | None, request: Request) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time(), tzinfo=request.app.state.settings.tz)


@router.get("/exports/{kind}.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "CSV, header first."}})
async def export_csv(
    kind: Annotated[str, Path(description="shares, clicks or conversions")],
    _manager: ManagerOnly, request: Request,
    from_: Annotated[date | None, Query(alias="from", description="First day, inclusive.")] = None,
    to: Annotated[date | None, Query(description="Last bound, exclusive (00:00 that day).")] = None,
) -> StreamingResponse:
    """Raw shares, clicks (every request, with its flags) or conversions, streamed as CSV."""
    if from_ is not None and to is not None and from_ >= to:
        raise Invalid("from must be before to.", loc=["query", "to"])
    rows = stream_csv(request.app.state.db, export_named(kind), _day_start(from_, request),
                      _day_start(to, request))
    filename = f"chorus-{kind}.csv"
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})
