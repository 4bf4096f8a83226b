"""The leadership report as a PDF and its email schedules (CONTRACT §3), for managers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.pilots import service as pilots_service
from app.analytics.reports import document, schedules
from app.analytics.reports.pdf import render_pdf
from app.analytics.reports.schemas import ReportScheduleCreate, ReportScheduleRead
from app.auth.access import ManagerOnly
from app.auth.principal import Principal
from app.core.errors import Invalid
from app.core.pagination import Cursor, Limit, Page
from app.core.routing import ChorusRoute, DbSession
from app.core.types import Day, Id
from app.web import i18n

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute)
FromDay = Annotated[Day | None, Query(alias="from", description="First day (inclusive).")]
ToDay = Annotated[Day | None, Query(description="Bound (exclusive): 00:00 of that day.")]
_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}},
          "description": "The report (A4, at most three pages)."}}


def _language(request: Request, principal: Principal) -> str:
    return i18n.choose(user_language=principal.user.language if principal.user else None,
                       cookie=None, accept_language=request.headers.get("accept-language"))


async def _pdf(request: Request, session: AsyncSession, principal: Principal,
               doc: document.ReportDocument) -> Response:
    html = document.html(doc, language=_language(request, principal), session=session)
    # The PDF is laid out in a child process: the session is not held meanwhile.
    await session.commit()
    pdf = await render_pdf(html)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{document.filename(doc)}"',
        "Cache-Control": "no-store"})


@router.get("/pilots/{pilot_id}/report.pdf", response_class=Response, responses=_PDF,
            tags=["reports"])
async def pilot_report_pdf(pilot_id: str, request: Request, principal: ManagerOnly,
                           session: DbSession, from_: FromDay = None,
                           to: ToDay = None) -> Response:
    """The pilot's report for leadership, over its dates or `[from, to)`."""
    pilot = await pilots_service.get_or_raise(session, pilot_id)
    doc = await document.for_pilot(session, pilot, start=from_, end=to)
    return await _pdf(request, session, principal, doc)


@router.get("/report.pdf", response_class=Response, responses=_PDF, tags=["reports"])
async def organisation_report_pdf(request: Request, principal: ManagerOnly,
                                  session: DbSession, from_: FromDay = None, to: ToDay = None,
                                  group_id: Id | None = None) -> Response:
    """The organisation's (or one group's) report for leadership over `[from, to)`."""
    if from_ is None or to is None:
        raise Invalid("from and to are required.",
                      loc=["query", "from" if from_ is None else "to"])
    doc = await document.for_organisation(session, start=from_, end=to, group_id=group_id)
    return await _pdf(request, session, principal, doc)


@router.post("/report-schedules", response_model=ReportScheduleRead, status_code=201,
             tags=["reports"])
async def create_schedule(body: ReportScheduleCreate, principal: ManagerOnly,
                          session: DbSession) -> ReportScheduleRead:
    """Email the report of the last full week or month to these recipients."""
    schedule = await schedules.create(session, data=body, creator=principal.user)
    return (await schedules.to_read(session, [schedule]))[0]


@router.get("/report-schedules", response_model=Page[ReportScheduleRead], tags=["reports"])
async def list_schedules(_manager: ManagerOnly, session: DbSession, limit: Limit = 50,
                         cursor: Cursor = None) -> Page[ReportScheduleRead]:
    """Every schedule, oldest first, with its latest send."""
    rows, next_cursor = await schedules.list_schedules(session, limit=limit, cursor=cursor)
    return Page(items=await schedules.to_read(session, rows), next_cursor=next_cursor)


@router.delete("/report-schedules/{schedule_id}", status_code=204, response_class=Response,
               tags=["reports"])
async def delete_schedule(schedule_id: str, _manager: ManagerOnly,
                          session: DbSession) -> Response:
    """Stop sending a report."""
    await schedules.delete(session, schedule_id=schedule_id)
    return Response(status_code=204)
