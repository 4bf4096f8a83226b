"""Report schedules (CONTRACT §3): who gets which report, how often."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.reports.schemas import LastSend, ReportScheduleCreate, ReportScheduleRead
from app.core.errors import Invalid, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.models import Pilot, ReportSchedule, ReportSend, User

ORDER = (SortKey(ReportSchedule.created_at, is_datetime=True), SortKey(ReportSchedule.id))


async def create(session: AsyncSession, *, data: ReportScheduleCreate,
                 creator: User | None) -> ReportSchedule:
    if data.pilot_id is not None and await session.get(Pilot, data.pilot_id) is None:
        raise Invalid(f"Unknown pilot id {data.pilot_id!r}.", loc=["body", "pilot_id"])
    schedule = ReportSchedule(pilot_id=data.pilot_id, cadence=data.cadence.value,
                              recipients=data.recipients,
                              language=creator.language if creator else None,
                              created_by=creator.id if creator else None)
    session.add(schedule)
    await session.flush()
    return schedule


async def list_schedules(session: AsyncSession, *, limit: int, cursor: str | None
                         ) -> tuple[list[ReportSchedule], str | None]:
    rows = list(await session.scalars(keyset(select(ReportSchedule), ORDER, cursor, limit)))
    return page_of(rows, ORDER, limit)


async def delete(session: AsyncSession, *, schedule_id: str) -> None:
    schedule = await session.get(ReportSchedule, schedule_id)
    if schedule is None:
        raise NotFound("No such report schedule.")
    await session.delete(schedule)


async def to_read(session: AsyncSession, schedules: list[ReportSchedule]
                  ) -> list[ReportScheduleRead]:
    """Each schedule with its latest send (by period), in one query."""
    latest: dict[str, ReportSend] = {}
    if schedules:
        sends = await session.scalars(
            select(ReportSend).where(ReportSend.schedule_id.in_([s.id for s in schedules]))
            .order_by(ReportSend.period))
        latest = {send.schedule_id: send for send in sends}
    out = []
    for schedule in schedules:
        send = latest.get(schedule.id)
        read = ReportScheduleRead.model_validate(schedule)
        if send is not None:
            read.last_send = LastSend(period=send.period, status=send.status,
                                      sent_at=send.sent_at, error=send.error)
        out.append(read)
    return out
