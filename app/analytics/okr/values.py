"""A key result's value and progress: a live one's KPI over part of its objective's dates, a
manual one's check-ins."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.kpi.compute import reports
from app.analytics.kpi.facts import cohort_of_pilot
from app.analytics.kpi.service import facts_for
from app.models import CheckIn, KeyResult, Objective


def progress(current: float | None, baseline: Decimal, target: Decimal) -> float | None:
    """How far from baseline to target; works for metrics meant to fall (target < baseline)."""
    if current is None or target == baseline:
        return None
    value = (Decimal(str(current)) - baseline) / (target - baseline)
    return float(min(Decimal(1), max(Decimal(0), value)))


def number(value: Any) -> float | None:
    return None if value is None else float(value)


def kr_progress(kr: KeyResult, current: float | None) -> float | None:
    return progress(current, Decimal(kr.baseline), Decimal(kr.target))


def due_on(kr: KeyResult, objective: Objective) -> date:
    return kr.due_on or objective.ends_on


async def kpi_totals(session: AsyncSession, objective: Objective, *,
                     through: date) -> dict[str, Any]:
    """Every KPI over ``[starts_on, through + 1 day)`` for the objective's pilot's cohort or,
    without a pilot, the whole organisation."""
    cohort = cohort_of_pilot(objective.pilot_id) if objective.pilot_id else None
    facts = await facts_for(session, cohort=cohort, start=objective.starts_on,
                            end=through + timedelta(days=1), pilot_id=objective.pilot_id)
    return reports(facts).total


async def manual_value(session: AsyncSession, kr: KeyResult, *,
                       before: datetime) -> float | None:
    """The value of the latest check-in made before ``before`` that carries one."""
    value = await session.scalar(
        select(CheckIn.value)
        .where(CheckIn.key_result_id == kr.id, CheckIn.value.is_not(None),
               CheckIn.created_at < before)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(1))
    return number(value)
