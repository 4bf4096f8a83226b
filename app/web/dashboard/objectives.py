"""The pilot's objectives shown beside its KPIs, read as ``GET /api/v1/objectives`` reads them.

A key result's ``current`` is its KPI over the objective's own dates for the pilot's cohort
(``okr_service.to_read``). When an objective covers exactly the report's range (the usual
case: an objective set for the pilot's dates), that KPI is already in the report, so it is
taken from there instead of being computed a second time.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.kpi.schemas import KpiReport
from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import KeyResultRead, ObjectiveRead
from app.models import KeyResult, Objective


def _current(report: KpiReport, metric: str) -> float | None:
    value = getattr(report, metric)
    return None if value is None else float(value)


def _from_report(objective: Objective, key_results: list[KeyResult],
                 report: KpiReport) -> ObjectiveRead:
    reads = []
    for kr in key_results:
        current = _current(report, kr.metric)
        reads.append(KeyResultRead(
            id=kr.id, title=kr.title, metric=kr.metric, target=float(kr.target),
            baseline=float(kr.baseline), current=current,
            progress=okr_service.progress(current, Decimal(kr.baseline), Decimal(kr.target))))
    return ObjectiveRead(id=objective.id, title=objective.title,
                         starts_on=objective.starts_on, ends_on=objective.ends_on,
                         pilot_id=objective.pilot_id, key_results=reads,
                         created_at=objective.created_at)


async def of_pilot(session: AsyncSession, *, pilot_id: str, start: date, end: date,
                   report: KpiReport) -> list[ObjectiveRead]:
    """The pilot's objectives whose dates overlap ``[start, end)``, earliest first."""
    objectives = list(await session.scalars(
        select(Objective)
        .where(Objective.pilot_id == pilot_id, Objective.starts_on < end,
               Objective.ends_on >= start)
        .order_by(Objective.starts_on, Objective.title, Objective.id)))
    if not objectives:
        return []
    key_results: defaultdict[str, list[KeyResult]] = defaultdict(list)
    for kr in await session.scalars(
            select(KeyResult).where(KeyResult.objective_id.in_([o.id for o in objectives]))
            .order_by(KeyResult.position)):
        key_results[kr.objective_id].append(kr)
    same = [o for o in objectives
            if (o.starts_on, o.ends_on + timedelta(days=1)) == (report.from_, report.to)]
    others = [o for o in objectives if o not in same]
    computed = {o.id: o for o in await okr_service.to_read(session, others)} if others else {}
    return [_from_report(o, key_results[o.id], report) if o in same else computed[o.id]
            for o in objectives]
