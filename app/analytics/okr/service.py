"""Objectives and key results, each key result bound to a live KPI (CONTRACT §3)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.kpi.compute import reports
from app.analytics.kpi.facts import cohort_of_pilot
from app.analytics.kpi.service import facts_for
from app.analytics.okr.schemas import KeyResultIn, KeyResultRead, ObjectiveCreate, ObjectiveRead
from app.core.errors import Invalid, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.core.types import changed_span
from app.models import KeyResult, Objective, Pilot

OBJECTIVE_ORDER = (SortKey(Objective.created_at, descending=True, is_datetime=True),
                   SortKey(Objective.id, descending=True))


def progress(current: float | None, baseline: Decimal, target: Decimal) -> float | None:
    """How far from baseline to target; works for metrics meant to fall (target < baseline)."""
    if current is None or target == baseline:
        return None
    value = (Decimal(str(current)) - baseline) / (target - baseline)
    return float(min(Decimal(1), max(Decimal(0), value)))


async def get_or_raise(session: AsyncSession, objective_id: str) -> Objective:
    objective = await session.get(Objective, objective_id)
    if objective is None:
        raise NotFound("No such objective.")
    return objective


async def _check_pilot(session: AsyncSession, pilot_id: str | None) -> None:
    if pilot_id is not None and await session.get(Pilot, pilot_id) is None:
        raise Invalid(f"Unknown pilot id {pilot_id!r}.", loc=["body", "pilot_id"])


async def _set_key_results(session: AsyncSession, objective: Objective,
                           key_results: Sequence[KeyResultIn]) -> None:
    await session.execute(delete(KeyResult).where(KeyResult.objective_id == objective.id))
    for position, kr in enumerate(key_results):
        session.add(KeyResult(objective_id=objective.id, position=position, title=kr.title,
                              metric=kr.metric, target=str(kr.target), baseline=str(kr.baseline)))
    await session.flush()


async def create(session: AsyncSession, *, data: ObjectiveCreate) -> Objective:
    await _check_pilot(session, data.pilot_id)
    objective = Objective(title=data.title, starts_on=data.starts_on, ends_on=data.ends_on,
                          pilot_id=data.pilot_id)
    session.add(objective)
    await session.flush()
    await _set_key_results(session, objective, data.key_results)
    return objective


async def update(session: AsyncSession, objective: Objective, changes: dict[str, Any],
                 key_results: Sequence[KeyResultIn] | None) -> Objective:
    if "pilot_id" in changes:
        await _check_pilot(session, changes["pilot_id"])
        objective.pilot_id = changes["pilot_id"]
    if changes.get("title") is not None:
        objective.title = changes["title"]
    objective.starts_on, objective.ends_on = changed_span(changes, objective.starts_on,
                                                          objective.ends_on)
    if key_results is not None:
        await _set_key_results(session, objective, key_results)
    await session.flush()
    return objective


async def delete_objective(session: AsyncSession, objective: Objective) -> None:
    await session.delete(objective)
    await session.flush()


async def list_objectives(session: AsyncSession, *, limit: int, cursor: str | None
                          ) -> tuple[list[Objective], str | None]:
    rows = list(await session.scalars(keyset(select(Objective), OBJECTIVE_ORDER, cursor, limit)))
    return page_of(rows, OBJECTIVE_ORDER, limit)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)


async def to_read(session: AsyncSession, objectives: Sequence[Objective]) -> list[ObjectiveRead]:
    """Each key result's ``current`` is its KPI computed now over the objective's dates, for
    its pilot's cohort or, without a pilot, the whole organisation."""
    krs: dict[str, list[KeyResult]] = defaultdict(list)
    if objectives:
        for kr in await session.scalars(
                select(KeyResult).where(KeyResult.objective_id.in_([o.id for o in objectives]))
                .order_by(KeyResult.position)):
            krs[kr.objective_id].append(kr)
    out = []
    for objective in objectives:
        cohort = cohort_of_pilot(objective.pilot_id) if objective.pilot_id else None
        start, end = objective.starts_on, objective.ends_on + timedelta(days=1)
        facts = await facts_for(session, cohort=cohort, start=start, end=end,
                                pilot_id=objective.pilot_id)
        values = reports(facts).total
        out.append(ObjectiveRead(
            id=objective.id, title=objective.title, starts_on=objective.starts_on,
            ends_on=objective.ends_on, pilot_id=objective.pilot_id,
            created_at=objective.created_at,
            key_results=[
                KeyResultRead(
                    id=kr.id, title=kr.title, metric=kr.metric, target=float(kr.target),
                    baseline=float(kr.baseline), current=_number(values[kr.metric]),
                    progress=progress(_number(values[kr.metric]), Decimal(kr.baseline),
                                      Decimal(kr.target)),
                )
                for kr in krs[objective.id]
            ],
        ))
    return out
