"""``sample_key_results`` (CONTRACT §9): each live key result's value, daily, for its weekly
history; and the final score of objectives that have ended.

The sample of local day D is the KPI over ``[starts_on, D + 1 day)`` as known when it is
taken, for D within the objective's dates. A run writes today's sample (a partial day) and
rewrites yesterday's, which is then complete: so a week's last sample, the one its history
shows, covers the whole week once the next week has begun. Running again the same day
replaces that day's samples; nothing is ever written twice for one (key result, day).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.okr import scoring
from app.analytics.okr.schemas import KeyResultKind
from app.analytics.okr.service import key_results_of
from app.analytics.okr.values import kpi_totals
from app.core.clock import utcnow
from app.core.db import dialect_insert, org_tz
from app.gamification.periods import local_day
from app.jobs.spec import Cron, JobContext, JobSpec
from app.models import KeyResult, KeyResultSample, Objective


async def _sample(session: AsyncSession, objective: Objective, krs: list[KeyResult],
                  day: date) -> int:
    totals = await kpi_totals(session, objective, through=day)
    rows = [{"key_result_id": kr.id, "sampled_on": day, "created_at": utcnow(),
             "value": None if totals[kr.metric] is None else str(totals[kr.metric])}
            for kr in krs if kr.metric]
    if rows:
        insert = dialect_insert(session)(KeyResultSample)
        await session.execute(insert.on_conflict_do_update(
            index_elements=["key_result_id", "sampled_on"],
            set_={"value": insert.excluded.value, "created_at": insert.excluded.created_at}),
            rows)
    return len(rows)


async def sample_key_results(ctx: JobContext) -> dict[str, int]:
    """One unit of work per objective, so one that fails does not hold back the others."""
    async with ctx.db.transaction() as session:
        today = local_day(utcnow(), org_tz(session))
        yesterday = today - timedelta(days=1)
        live_ids = list(await session.scalars(select(Objective.id).where(
            Objective.starts_on <= today, Objective.ends_on >= yesterday)))
        due_ids = list(await session.scalars(select(Objective.id).where(
            Objective.ends_on < today, Objective.scored_at.is_(None))))
    sampled = scored = 0
    for objective_id in live_ids:
        async with ctx.db.transaction() as session:
            objective = await session.get(Objective, objective_id)
            if objective is None:
                continue
            krs = [kr for kr in (await key_results_of(session, [objective.id]))[objective.id]
                   if kr.kind == KeyResultKind.kpi]
            for day in (yesterday, today):
                if krs and objective.starts_on <= day <= objective.ends_on:
                    sampled += await _sample(session, objective, krs, day)
    for objective_id in due_ids:
        async with ctx.db.transaction() as session:
            objective = await session.get(Objective, objective_id)
            if objective is not None and scoring.is_due(objective, today):
                await scoring.score_once(session, objective,
                                         (await key_results_of(session, [objective.id]))[
                                             objective.id])
                scored += 1
    return {"sampled": sampled, "scored": scored}


JOBS: list[JobSpec] = [JobSpec("sample_key_results", sample_key_results, timeout=1800)]
# Daily; the run at start-up catches up on a day missed while the service was down.
CRONS: list[Cron] = [Cron("sample_key_results", minute=20, hour=0, run_at_startup=True)]
