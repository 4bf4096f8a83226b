"""The demo's pilots, their weekly feedback and the objectives that track them.

Two pilots: a finished one (Sales and Engineering, six weeks, with a paid baseline) and a
running one (Marketing and Customer Success, three weeks in, three to go) in which the
printed advocate is enrolled. Everyone enrolled gave feedback in most past weeks; the printed
advocate has not yet given this week's, so the feedback form is waiting for her.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import KeyResultIn, ObjectiveCreate
from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import Baseline, PilotCreate
from app.core.db import org_tz
from app.demo.data import FEEDBACK_COMMENTS
from app.gamification.periods import Period, local_day, midnight, start_of
from app.models import Feedback, Group, Pilot, User

FEEDBACK_RATE = 0.7
SCORE_WEIGHTS = [1, 1, 1, 1, 2, 3, 5, 9, 12, 10, 8]


async def add_program(session: AsyncSession, rng: random.Random, *, now: datetime,
                      people: Sequence[User], first_advocate: User) -> None:
    tz = org_tz(session)
    this_monday = start_of(Period.week, local_day(now, tz))
    groups = {g.name: g.id for g in await session.scalars(select(Group))}
    finished_from = this_monday - timedelta(weeks=7)
    finished = await pilots_service.create(session, data=PilotCreate(
        name="First advocacy pilot: Sales and Engineering", starts_on=finished_from,
        ends_on=finished_from + timedelta(weeks=6, days=-1),
        group_ids=[groups["Sales"], groups["Engineering"]],
        baseline=Baseline(paid_visits=5200, paid_conversions=62)))
    running_from = this_monday - timedelta(weeks=3)
    running = await pilots_service.create(session, data=PilotCreate(
        name="Rollout pilot: Marketing and Customer Success", starts_on=running_from,
        ends_on=running_from + timedelta(weeks=6, days=-1),
        group_ids=[groups["Marketing"], groups["Customer Success"]],
        user_ids=[first_advocate.id],
        baseline=Baseline(paid_visits=3100, paid_conversions=35)))
    for pilot in (finished, running):
        await _feedback(session, rng, now=now, pilot=pilot, people=people,
                        not_this_week=first_advocate.id)
    await _objectives(session, finished=finished, running=running, today=local_day(now, tz))


async def _feedback(session: AsyncSession, rng: random.Random, *, now: datetime, pilot: Pilot,
                    people: Sequence[User], not_this_week: str) -> None:
    """Weekly scores from the cohort, on weekdays, never after now; one person's week is
    left open."""
    tz = org_tz(session)
    cohort = await pilots_service.cohort_ids(session, pilot)
    this_monday = start_of(Period.week, local_day(now, tz))
    monday = pilot.starts_on
    while monday <= min(pilot.ends_on, local_day(now, tz)):
        for person in people:  # in a fixed order: the same seed, the same feedback
            if person.id not in cohort or rng.random() > FEEDBACK_RATE:
                continue
            given_at = midnight(monday, tz) + timedelta(
                days=rng.randint(0, 4), hours=rng.randint(9, 17), minutes=rng.randint(0, 59))
            score = rng.choices(range(11), weights=SCORE_WEIGHTS)[0]
            comment = rng.choice(FEEDBACK_COMMENTS)
            if given_at > now or (monday == this_monday and person.id == not_this_week):
                continue
            session.add(Feedback(pilot_id=pilot.id, user_id=person.id, week_starts_on=monday,
                                 score=score, comment=comment, created_at=given_at))
        monday += timedelta(weeks=1)
    await session.flush()


async def _objectives(session: AsyncSession, *, finished: Pilot, running: Pilot,
                      today: date) -> None:
    await okr_service.create(session, data=ObjectiveCreate(
        title="Make advocacy a habit in Sales and Engineering", starts_on=finished.starts_on,
        ends_on=finished.ends_on, pilot_id=finished.id, key_results=[
            KeyResultIn(title="Half the cohort shares", metric="participation_rate",
                        target=Decimal("0.5"), baseline=Decimal("0.1")),
            KeyResultIn(title="1,000 clicks from people, not bots", metric="clicks",
                        target=Decimal(1000)),
        ]))
    await okr_service.create(session, data=ObjectiveCreate(
        title="Bring Marketing and Customer Success on board", starts_on=running.starts_on,
        ends_on=running.ends_on, pilot_id=running.id, key_results=[
            KeyResultIn(title="Two in three enrolled advocates share", metric="participation_rate",
                        target=Decimal("0.67"), baseline=Decimal("0.2")),
            KeyResultIn(title="Posts seen 50,000 times", metric="impressions",
                        target=Decimal(50_000)),
        ]))
    await okr_service.create(session, data=ObjectiveCreate(
        title="Advocacy brings in pipeline", starts_on=finished.starts_on - timedelta(weeks=1),
        ends_on=today, key_results=[
            KeyResultIn(title="80 attributed conversions", metric="conversions",
                        target=Decimal(80)),
            KeyResultIn(title="Convert 6 % of unique visitors", metric="conversion_rate",
                        target=Decimal("0.06"), baseline=Decimal("0.012")),
        ]))
