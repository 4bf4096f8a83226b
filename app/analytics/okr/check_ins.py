"""Check-ins: the owner's (or a manager's) word on how an objective or one of its key results
is going, and a manual key result's new value."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.okr.schemas import CheckInCreate, CheckInRead, Confidence, KeyResultKind
from app.analytics.okr.values import number
from app.auth.access import has_role
from app.core.errors import Forbidden, Invalid
from app.core.pagination import SortKey, keyset, page_of
from app.models import CheckIn, KeyResult, Objective, User
from app.models.enums import Role

CHECK_IN_ORDER = (SortKey(CheckIn.created_at, descending=True, is_datetime=True),
                  SortKey(CheckIn.id, descending=True))


def may_check_in(user: User, objective: Objective) -> bool:
    return user.id == objective.owner_id or has_role(Role(user.role), Role.manager)


async def create(session: AsyncSession, objective: Objective, *, author: User,
                 data: CheckInCreate) -> CheckIn:
    """A key result of another objective is an unknown id in the body: 422, like any other."""
    if not may_check_in(author, objective):
        raise Forbidden("Only the objective's owner or a manager may check in.")
    if data.key_result_id is not None:
        kr = await session.get(KeyResult, data.key_result_id)
        if kr is None or kr.objective_id != objective.id:
            raise Invalid(f"The objective has no key result {data.key_result_id!r}.",
                          loc=["body", "key_result_id"])
        if data.value is not None and kr.kind != KeyResultKind.manual:
            raise Invalid("A value can only be given for a manual key result: a kpi key "
                          "result's value is its KPI.", loc=["body", "value"])
    check_in = CheckIn(objective_id=objective.id, key_result_id=data.key_result_id,
                       author_id=author.id,
                       value=None if data.value is None else str(data.value),
                       confidence=data.confidence.value, note=data.note)
    session.add(check_in)
    await session.flush()
    return check_in


async def list_check_ins(session: AsyncSession, objective: Objective, *, limit: int,
                         cursor: str | None) -> tuple[list[CheckIn], str | None]:
    """Newest first."""
    rows = list(await session.scalars(keyset(
        select(CheckIn).where(CheckIn.objective_id == objective.id), CHECK_IN_ORDER, cursor,
        limit)))
    return page_of(rows, CHECK_IN_ORDER, limit)


def to_read(check_in: CheckIn) -> CheckInRead:
    return CheckInRead(id=check_in.id, objective_id=check_in.objective_id,
                       key_result_id=check_in.key_result_id, value=number(check_in.value),
                       confidence=Confidence(check_in.confidence), note=check_in.note,
                       author_id=check_in.author_id, created_at=check_in.created_at)
