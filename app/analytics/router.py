"""Pilots, their KPIs and feedback, the organisation's KPIs, EMV settings and exports
(managers)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.analytics.exports import export_named, stream_csv
from app.analytics.kpi import service as kpi_service
from app.analytics.kpi.schemas import KpiReport
from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import (
    FeedbackCreate,
    FeedbackRead,
    MyPilot,
    PilotCreate,
    PilotRead,
    PilotUpdate,
)
from app.analytics.settings import EmvSettings, emv_settings, save_emv_settings
from app.auth.access import AdminOnly, CurrentUser, ManagerOnly
from app.core.errors import Invalid
from app.core.pagination import Cursor, Limit, Page
from app.core.routing import ChorusRoute, DbSession
from app.core.types import Day

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute)
FromDay = Annotated[Day | None, Query(alias="from", description="First day (inclusive).")]
ToDay = Annotated[Day | None, Query(description="Bound (exclusive): 00:00 of that day.")]
RequiredFrom = Annotated[Day, Query(alias="from", description="First day (inclusive).")]
RequiredTo = Annotated[Day, Query(description="Bound (exclusive): 00:00 of that day.")]


@router.post("/pilots", response_model=PilotRead, status_code=201, tags=["pilots"])
async def create_pilot(body: PilotCreate, _manager: ManagerOnly,
                       session: DbSession) -> PilotRead:
    """Start a pilot: a cohort (groups and/or users), dates and an optional paid baseline."""
    pilot = await pilots_service.create(session, data=body)
    return (await pilots_service.to_read(session, [pilot]))[0]


@router.get("/pilots", response_model=Page[PilotRead], tags=["pilots"])
async def list_pilots(_manager: ManagerOnly, session: DbSession, limit: Limit = 50,
                      cursor: Cursor = None) -> Page[PilotRead]:
    """Pilots, newest first."""
    pilots, next_cursor = await pilots_service.list_pilots(session, limit=limit, cursor=cursor)
    return Page(items=await pilots_service.to_read(session, pilots), next_cursor=next_cursor)


@router.get("/pilots/{pilot_id}", response_model=PilotRead, tags=["pilots"])
async def read_pilot(pilot_id: str, _manager: ManagerOnly, session: DbSession) -> PilotRead:
    """One pilot."""
    pilot = await pilots_service.get_or_raise(session, pilot_id)
    return (await pilots_service.to_read(session, [pilot]))[0]


@router.patch("/pilots/{pilot_id}", response_model=PilotRead, tags=["pilots"])
async def update_pilot(pilot_id: str, body: PilotUpdate, _manager: ManagerOnly,
                       session: DbSession) -> PilotRead:
    """Change a pilot; `group_ids` and `user_ids` replace the cohort's lists."""
    pilot = await pilots_service.get_or_raise(session, pilot_id)
    await pilots_service.update(session, pilot, body.model_dump(exclude_unset=True))
    return (await pilots_service.to_read(session, [pilot]))[0]


@router.get("/pilots/{pilot_id}/kpis", response_model=KpiReport, tags=["pilots"])
async def pilot_kpis(pilot_id: str, _manager: ManagerOnly, session: DbSession,
                     from_: FromDay = None, to: ToDay = None) -> KpiReport:
    """The pilot's KPIs over [from, to) (default: its dates), with breakdowns and weeks."""
    pilot = await pilots_service.get_or_raise(session, pilot_id)
    return await kpi_service.pilot_report(session, pilot, start=from_, end=to)


@router.get("/pilots/{pilot_id}/kpis.csv", response_class=Response, tags=["pilots"],
            responses={200: {"content": {"text/csv": {}}, "description": "One row per week."}})
async def pilot_kpis_csv(pilot_id: str, _manager: ManagerOnly, session: DbSession,
                         from_: FromDay = None, to: ToDay = None) -> Response:
    """The weekly KPIs as CSV: week_start, week_end, then every KPI."""
    pilot = await pilots_service.get_or_raise(session, pilot_id)
    report = await kpi_service.pilot_report(session, pilot, start=from_, end=to)
    return Response(kpi_service.weekly_csv(report), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="chorus-pilot-{pilot.id}-kpis.csv"'})


@router.get("/kpis", response_model=KpiReport, tags=["pilots"])
async def organisation_kpis(
    _manager: ManagerOnly, session: DbSession, from_: RequiredFrom, to: RequiredTo,
    group_id: Annotated[str | None, Query(max_length=64,
                                          description="Only this group's members.")] = None,
) -> KpiReport:
    """The organisation's KPIs over [from, to) (or one group's), with breakdowns and weeks:
    every user existing and not deactivated at min(to, now), every pilot's feedback;
    `pilot_id`, `vs_paid` and `roi` are null."""
    return await kpi_service.organisation_report(session, start=from_, end=to,
                                                 group_id=group_id)


@router.get("/me/pilots", response_model=Page[MyPilot], tags=["me"])
async def my_pilots(user: CurrentUser, session: DbSession) -> Page[MyPilot]:
    """The pilots you are enrolled in (every one: a single page), soonest ending first,
    and whether this week's feedback is given."""
    return Page(items=await pilots_service.enrolled_in(session, user), next_cursor=None)


@router.post("/pilots/{pilot_id}/feedback", response_model=FeedbackRead, status_code=201,
             tags=["pilots"])
async def give_feedback(pilot_id: str, body: FeedbackCreate, user: CurrentUser,
                        session: DbSession) -> FeedbackRead:
    """Weekly feedback from an enrolled advocate: once per ISO week, within the pilot."""
    pilot = await pilots_service.get_or_raise(session, pilot_id)
    feedback = await pilots_service.give_feedback(session, pilot, user=user, data=body)
    return FeedbackRead.model_validate(feedback, from_attributes=True)


@router.get("/pilots/{pilot_id}/feedback", response_model=Page[FeedbackRead], tags=["pilots"])
async def list_feedback(pilot_id: str, _manager: ManagerOnly, session: DbSession,
                        limit: Limit = 50, cursor: Cursor = None) -> Page[FeedbackRead]:
    """The pilot's feedback, newest first."""
    pilot = await pilots_service.get_or_raise(session, pilot_id)
    rows, next_cursor = await pilots_service.list_feedback(session, pilot, limit=limit,
                                                           cursor=cursor)
    return Page(items=[FeedbackRead.model_validate(f, from_attributes=True) for f in rows],
                next_cursor=next_cursor)


@router.get("/settings/emv", response_model=EmvSettings, tags=["settings"])
async def read_emv(_admin: AdminOnly, session: DbSession) -> EmvSettings:
    """The earned-media-value CPMs and the reporting currency."""
    return await emv_settings(session)


@router.put("/settings/emv", response_model=EmvSettings, tags=["settings"])
async def write_emv(body: EmvSettings, _admin: AdminOnly, session: DbSession) -> EmvSettings:
    """Change the CPMs or the currency; KPIs use the current values."""
    return await save_emv_settings(session, body)


def _day_start(day: date | None, request: Request) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time(), tzinfo=request.app.state.settings.tz)


@router.get("/exports/{kind}.csv", response_class=StreamingResponse, tags=["exports"],
            responses={200: {"content": {"text/csv": {}}, "description": "CSV, header first."}})
async def export_csv(
    kind: Annotated[str, Path(description="shares, clicks or conversions")],
    _manager: ManagerOnly, request: Request,
    from_: Annotated[date | None, Query(alias="from", description="First day (inclusive).")]
    = None,
    to: Annotated[date | None, Query(description="Bound (exclusive): 00:00 of that day.")]
    = None,
) -> StreamingResponse:
    """Raw shares, clicks (every request, with its flags) or conversions, streamed as CSV."""
    if from_ is not None and to is not None and from_ >= to:
        raise Invalid("from must be before to.", loc=["query", "to"])
    rows = stream_csv(request.app.state.db, export_named(kind), _day_start(from_, request),
                      _day_start(to, request))
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="chorus-{kind}.csv"',
        "Cache-Control": "no-store"})
