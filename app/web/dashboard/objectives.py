"""The pilot's objectives shown beside its KPIs, read as ``GET /api/v1/objectives`` reads them.

A live key result's ``current`` is its KPI over the objective's own dates for the pilot's
cohort (``okr_service.to_read``). When an objective covers exactly the report's range (the
usual case: an objective set for the pilot's dates), that KPI is already in the report, so it
is taken from there instead of being computed a second time. The objectives are read
``brief`` (no scoring on a page view: the daily job scores them); their weekly trends and
latest confidences come from one more query, whatever their number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, String, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.kpi.schemas import KpiReport
from app.analytics.okr import history
from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import Confidence, KeyResultKind, ObjectiveRead
from app.core.db import org_tz
from app.gamification.periods import local_day
from app.models import CheckIn, KeyResultSample, Objective


async def of_pilot(session: AsyncSession, *, pilot_id: str, start: date, end: date,
                   report: KpiReport) -> list[ObjectiveRead]:
    """The pilot's objectives whose dates overlap ``[start, end)``, earliest first."""
    objectives = list(await session.scalars(
        select(Objective)
        .where(Objective.pilot_id == pilot_id, Objective.starts_on < end,
               Objective.ends_on >= start)
        .order_by(Objective.starts_on, Objective.title, Objective.id)))
    totals: dict[str, Any] = report.model_dump()
    live = {o.id: totals for o in objectives
            if (o.starts_on, o.ends_on + timedelta(days=1)) == (report.from_, report.to)}
    reads = await okr_service.to_read(session, objectives, live=live, brief=True)
    await add_trends(session, reads)
    return reads


async def add_trends(session: AsyncSession, reads: Sequence[ObjectiveRead]) -> None:
    """Fill each key result's weekly ``history`` and latest ``confidence`` in one query: the
    live key results' daily samples and the objectives' check-ins, oldest first."""
    kpi_ids = [kr.id for o in reads for kr in o.key_results if kr.kind == KeyResultKind.kpi]
    objective_ids = [o.id for o in reads]
    if not objective_ids:
        return
    samples = select(
        literal("sample").label("source"), KeyResultSample.key_result_id.label("kr_id"),
        KeyResultSample.sampled_on.label("day"), KeyResultSample.created_at.label("at"),
        KeyResultSample.value.label("value"), cast(null(), String).label("confidence"),
    ).where(KeyResultSample.key_result_id.in_(kpi_ids or [""]))
    check_ins = select(
        literal("check_in"), CheckIn.key_result_id, cast(null(), Date), CheckIn.created_at,
        CheckIn.value, CheckIn.confidence,
    ).where(CheckIn.objective_id.in_(objective_ids))
    both = union_all(samples, check_ins).subquery()
    rows = (await session.execute(
        select(both).order_by(both.c.at, both.c.source))).all()
    tz = org_tz(session)
    entries: dict[str, list[tuple[date, datetime, str | None]]] = {}
    confidence: dict[str, str] = {}
    for source, kr_id, day, at, value, said in rows:
        if kr_id is None:
            continue
        if source == "sample":
            entries.setdefault(kr_id, []).append((day, at, value))
        else:
            confidence[kr_id] = said  # oldest first: the last one seen is the latest
            if value is not None:
                entries.setdefault(kr_id, []).append((local_day(at, tz), at, value))
    for read in reads:
        for kr in read.key_results:
            kr.history = history.weekly(entries.get(kr.id, ()))
            kr.confidence = Confidence(confidence[kr.id]) if kr.id in confidence else None
