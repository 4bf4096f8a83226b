"""An objective's final score: computed once, the first time it is read (or sampled) after
its ``ends_on``, and stored, so later clicks, conversions or check-ins never move it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from statistics import fmean
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.analytics.okr.schemas import KeyResultKind
from app.analytics.okr.values import due_on, kpi_totals, kr_progress, manual_value, number
from app.core.clock import utcnow
from app.core.db import org_tz
from app.gamification.periods import midnight
from app.models import KeyResult, Objective


def is_due(objective: Objective, today: date) -> bool:
    """Whether the objective is over (its last local day has passed) and not yet scored."""
    return objective.scored_at is None and today > objective.ends_on


async def final_score(session: AsyncSession, objective: Objective,
                      key_results: Sequence[KeyResult]) -> float | None:
    """The mean progress of the key results at their due dates, those without one left out.

    At its due date a live key result's value is its KPI over ``[starts_on, due_on + 1 day)``;
    a manual one's is its latest check-in value made on or before ``due_on`` (local date)."""
    tz = org_tz(session)
    totals: dict[date, dict[str, Any]] = {}
    progresses = []
    for kr in key_results:
        due = due_on(kr, objective)
        if kr.kind == KeyResultKind.manual:
            value = await manual_value(session, kr, before=midnight(due + timedelta(days=1), tz))
        else:
            if due not in totals:
                totals[due] = await kpi_totals(session, objective, through=due)
            value = number(totals[due][kr.metric]) if kr.metric else None
        reached = kr_progress(kr, value)
        if reached is not None:
            progresses.append(reached)
    return fmean(progresses) if progresses else None


async def score_once(session: AsyncSession, objective: Objective,
                     key_results: Sequence[KeyResult]) -> None:
    """Store the final score unless someone else already did: the conditional UPDATE lets
    exactly one of two concurrent readers write it, and the other reads what was written."""
    score = await final_score(session, objective, key_results)
    now = utcnow()
    result = await session.execute(
        update(Objective)
        .where(Objective.id == objective.id, Objective.scored_at.is_(None))
        .values(score=score, scored_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount == 1:  # type: ignore[attr-defined]
        set_committed_value(objective, "score", score)
        set_committed_value(objective, "scored_at", now)
    else:
        await session.refresh(objective, ["score", "scored_at"])
