"""The pilot picker: every pilot, newest first, with its dates, cohort size and status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import distinct, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.pilots import service as pilots_service
from app.core.clock import utcnow
from app.core.db import org_tz
from app.gamification.periods import local_day
from app.models import Pilot, User, pilot_groups, pilot_users, user_groups

PAGE_SIZE = 50


class Status(StrEnum):
    upcoming = "upcoming"
    running = "running"
    ended = "ended"


def status_of(pilot: Pilot, today: date) -> Status:
    if today < pilot.starts_on:
        return Status.upcoming
    return Status.running if today <= pilot.ends_on else Status.ended


def today(session: AsyncSession) -> date:
    """Today in the organisation's zone, where pilots' days run."""
    return local_day(utcnow(), org_tz(session))


@dataclass(frozen=True)
class PilotRow:
    id: str
    name: str
    starts_on: date
    ends_on: date
    status: Status
    cohort: int  # people enrolled now (deactivated ones left out)


@dataclass(frozen=True)
class PilotList:
    pilots: list[PilotRow]
    next_cursor: str | None
    first_page: bool


async def cohort_sizes(session: AsyncSession, pilot_ids: Sequence[str]) -> dict[str, int]:
    """How many active people each pilot's cohort holds now, in one query."""
    if not pilot_ids:
        return {}
    members = union(
        select(pilot_users.c.pilot_id, pilot_users.c.user_id)
        .where(pilot_users.c.pilot_id.in_(pilot_ids)),
        select(pilot_groups.c.pilot_id, user_groups.c.user_id)
        .join(user_groups, user_groups.c.group_id == pilot_groups.c.group_id)
        .where(pilot_groups.c.pilot_id.in_(pilot_ids)),
    ).subquery()
    rows = await session.execute(
        select(members.c.pilot_id, func.count(distinct(members.c.user_id)))
        .join(User, User.id == members.c.user_id)
        .where(User.deactivated_at.is_(None))
        .group_by(members.c.pilot_id))
    return {pilot_id: int(count) for pilot_id, count in rows}


async def pilot_list(session: AsyncSession, *, cursor: str | None) -> PilotList:
    pilots, next_cursor = await pilots_service.list_pilots(session, limit=PAGE_SIZE,
                                                           cursor=cursor)
    sizes = await cohort_sizes(session, [p.id for p in pilots])
    day = today(session)
    return PilotList(
        pilots=[PilotRow(id=p.id, name=p.name, starts_on=p.starts_on, ends_on=p.ends_on,
                         status=status_of(p, day), cohort=sizes.get(p.id, 0)) for p in pilots],
        next_cursor=next_cursor, first_page=cursor is None)
