"""Pilots: a cohort, dates and an optional paid baseline; weekly feedback from the cohort."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.pilots.schemas import (
    MIN_PILOT_DAYS,
    Baseline,
    FeedbackCreate,
    MyPilot,
    PilotCreate,
    PilotRead,
)
from app.core.clock import utcnow
from app.core.db import dialect_insert, new_id, org_tz
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.core.references import known_ids, linked_ids, replace_links
from app.core.types import changed_span
from app.gamification.periods import Period, local_day, start_of
from app.models import Feedback, Group, Pilot, User, pilot_groups, pilot_users, user_groups

PILOT_ORDER = (SortKey(Pilot.created_at, descending=True, is_datetime=True),
               SortKey(Pilot.id, descending=True))
FEEDBACK_ORDER = (SortKey(Feedback.created_at, descending=True, is_datetime=True),
                  SortKey(Feedback.id, descending=True))


async def get_or_raise(session: AsyncSession, pilot_id: str) -> Pilot:
    pilot = await session.get(Pilot, pilot_id)
    if pilot is None:
        raise NotFound("No such pilot.")
    return pilot


async def _set_members(session: AsyncSession, pilot: Pilot, *, group_ids: Sequence[str] | None,
                       user_ids: Sequence[str] | None) -> None:
    if group_ids is not None:
        await replace_links(session, pilot_groups, owner=("pilot_id", pilot.id),
                            target="group_id",
                            ids=await known_ids(session, Group, group_ids, "group_ids"))
    if user_ids is not None:
        await replace_links(session, pilot_users, owner=("pilot_id", pilot.id),
                            target="user_id",
                            ids=await known_ids(session, User, user_ids, "user_ids"))


async def create(session: AsyncSession, *, data: PilotCreate) -> Pilot:
    pilot = Pilot(name=data.name, starts_on=data.starts_on, ends_on=data.ends_on,
                  paid_visits=data.baseline.paid_visits if data.baseline else None,
                  paid_conversions=data.baseline.paid_conversions if data.baseline else None,
                  cost=data.cost)
    session.add(pilot)
    await session.flush()
    await _set_members(session, pilot, group_ids=data.group_ids, user_ids=data.user_ids)
    return pilot


async def update(session: AsyncSession, pilot: Pilot, changes: dict[str, Any]) -> Pilot:
    if changes.get("name") is not None:
        pilot.name = changes["name"]
    pilot.starts_on, pilot.ends_on = changed_span(changes, pilot.starts_on, pilot.ends_on)
    if "baseline" in changes:
        baseline = changes["baseline"]
        pilot.paid_visits = baseline["paid_visits"] if baseline else None
        pilot.paid_conversions = baseline["paid_conversions"] if baseline else None
    if "cost" in changes:
        pilot.cost = changes["cost"]
    await _set_members(session, pilot, group_ids=changes.get("group_ids"),
                       user_ids=changes.get("user_ids"))
    await session.flush()
    return pilot


async def list_pilots(session: AsyncSession, *, limit: int, cursor: str | None
                      ) -> tuple[list[Pilot], str | None]:
    rows = list(await session.scalars(keyset(select(Pilot), PILOT_ORDER, cursor, limit)))
    return page_of(rows, PILOT_ORDER, limit)


async def members(session: AsyncSession, pilot_ids: Sequence[str]
                  ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    return (await linked_ids(session, pilot_groups.c.pilot_id, pilot_groups.c.group_id,
                             pilot_ids),
            await linked_ids(session, pilot_users.c.pilot_id, pilot_users.c.user_id, pilot_ids))


def warnings(pilot: Pilot) -> list[str]:
    days = (pilot.ends_on - pilot.starts_on).days + 1
    if days < MIN_PILOT_DAYS:
        return [f"The pilot lasts {days} days; a pilot of at least {MIN_PILOT_DAYS} days "
                "(four weeks) gives results worth acting on."]
    return []


async def to_read(session: AsyncSession, pilots: Sequence[Pilot]) -> list[PilotRead]:
    groups, users = await members(session, [p.id for p in pilots])
    return [
        PilotRead(
            id=p.id, name=p.name, starts_on=p.starts_on, ends_on=p.ends_on,
            group_ids=groups[p.id], user_ids=users[p.id], warnings=warnings(p),
            baseline=(Baseline(paid_visits=p.paid_visits, paid_conversions=p.paid_conversions)
                      if p.paid_visits is not None and p.paid_conversions is not None else None),
            cost=p.cost,
            created_at=p.created_at,
        )
        for p in pilots
    ]


async def cohort_ids(session: AsyncSession, pilot: Pilot) -> set[str]:
    """The current members of the pilot's groups plus its listed users."""
    listed = set(await session.scalars(
        select(pilot_users.c.user_id).where(pilot_users.c.pilot_id == pilot.id)))
    in_groups = set(await session.scalars(
        select(user_groups.c.user_id)
        .join(pilot_groups, pilot_groups.c.group_id == user_groups.c.group_id)
        .where(pilot_groups.c.pilot_id == pilot.id)))
    return listed | in_groups


async def enrolled_in(session: AsyncSession, user: User) -> list[MyPilot]:
    """The pilots whose cohort holds ``user`` (listed, or a member of one of their groups),
    soonest ending first, and whether this ISO week's feedback is given."""
    listed = select(pilot_users.c.pilot_id).where(pilot_users.c.user_id == user.id)
    via_groups = (select(pilot_groups.c.pilot_id)
                  .join(user_groups, user_groups.c.group_id == pilot_groups.c.group_id)
                  .where(user_groups.c.user_id == user.id))
    pilots = list(await session.scalars(
        select(Pilot).where(Pilot.id.in_(listed.union(via_groups).scalar_subquery()))
        .order_by(Pilot.ends_on, Pilot.name, Pilot.id)))
    week = start_of(Period.week, local_day(utcnow(), org_tz(session)))
    given = set(await session.scalars(select(Feedback.pilot_id).where(
        Feedback.user_id == user.id, Feedback.week_starts_on == week,
        Feedback.pilot_id.in_([p.id for p in pilots])))) if pilots else set()
    return [MyPilot(id=p.id, name=p.name, starts_on=p.starts_on, ends_on=p.ends_on,
                    feedback_given_this_week=p.id in given) for p in pilots]


async def give_feedback(session: AsyncSession, pilot: Pilot, *, user: User,
                        data: FeedbackCreate) -> Feedback:
    """Once per enrolled user and ISO week, within the pilot's dates."""
    if user.id not in await cohort_ids(session, pilot):
        raise Forbidden("Only advocates enrolled in this pilot give it feedback.")
    now = utcnow()
    today = local_day(now, org_tz(session))
    if not pilot.starts_on <= today <= pilot.ends_on:
        raise Invalid(f"Feedback is open from {pilot.starts_on} to {pilot.ends_on}.",
                      loc=["path", "pilot_id"])
    week = start_of(Period.week, today)
    feedback_id = new_id()
    inserted = await session.scalar(
        dialect_insert(session)(Feedback).values(
            id=feedback_id, pilot_id=pilot.id, user_id=user.id, week_starts_on=week,
            score=data.score, comment=data.comment, created_at=now,
        ).on_conflict_do_nothing().returning(Feedback.id))
    if inserted is None:
        raise Conflict("You already gave feedback this week.")
    feedback = await session.get(Feedback, feedback_id)
    assert feedback is not None
    return feedback


async def list_feedback(session: AsyncSession, pilot: Pilot, *, limit: int,
                        cursor: str | None) -> tuple[list[Feedback], str | None]:
    stmt = select(Feedback).where(Feedback.pilot_id == pilot.id)
    rows = list(await session.scalars(keyset(stmt, FEEDBACK_ORDER, cursor, limit)))
    return page_of(rows, FEEDBACK_ORDER, limit)
