"""Objectives and key results (CONTRACT §3 OKRs): every signed-in user reads them and their
check-ins, managers write them, their owner or a manager checks in."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.analytics.okr import check_ins as check_ins_service
from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import (
    CheckInCreate,
    CheckInRead,
    ObjectiveCreate,
    ObjectiveRead,
    ObjectiveUpdate,
)
from app.auth.access import CurrentUser, ManagerOnly, SignedIn
from app.core.pagination import Cursor, Limit, Page
from app.core.routing import ChorusRoute, DbSession

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute, tags=["okrs"])


@router.post("/objectives", response_model=ObjectiveRead, status_code=201)
async def create_objective(body: ObjectiveCreate, manager: ManagerOnly,
                           session: DbSession) -> ObjectiveRead:
    """An objective with 1–5 key results (3–5 recommended), each a KPI or checked in by hand."""
    objective = await okr_service.create(session, data=body, creator=manager.user)
    return (await okr_service.to_read(session, [objective]))[0]


@router.get("/objectives", response_model=Page[ObjectiveRead])
async def list_objectives(_reader: SignedIn, session: DbSession, limit: Limit = 50,
                          cursor: Cursor = None) -> Page[ObjectiveRead]:
    """Objectives with their key results' progress and history, newest first."""
    objectives, next_cursor = await okr_service.list_objectives(session, limit=limit,
                                                                cursor=cursor)
    return Page(items=await okr_service.to_read(session, objectives), next_cursor=next_cursor)


@router.get("/objectives/{objective_id}", response_model=ObjectiveRead)
async def read_objective(objective_id: str, _reader: SignedIn,
                         session: DbSession) -> ObjectiveRead:
    """One objective."""
    objective = await okr_service.get_or_raise(session, objective_id)
    return (await okr_service.to_read(session, [objective]))[0]


@router.patch("/objectives/{objective_id}", response_model=ObjectiveRead,
              responses={409: {"description": "The objective is scored: its dates, pilot "
                                              "and key results are final."}})
async def update_objective(objective_id: str, body: ObjectiveUpdate, _manager: ManagerOnly,
                           session: DbSession) -> ObjectiveRead:
    """Change an objective; `key_results` replaces them all (an item with an `id` keeps that
    key result's check-ins and history)."""
    objective = await okr_service.get_or_raise(session, objective_id)
    await okr_service.update(session, objective, body)
    return (await okr_service.to_read(session, [objective]))[0]


@router.delete("/objectives/{objective_id}", status_code=204, response_class=Response)
async def delete_objective(objective_id: str, _manager: ManagerOnly,
                           session: DbSession) -> Response:
    """Delete an objective with its key results and check-ins."""
    await okr_service.delete_objective(session,
                                       await okr_service.get_or_raise(session, objective_id))
    return Response(status_code=204)


@router.post("/objectives/{objective_id}/check-ins", response_model=CheckInRead,
             status_code=201)
async def check_in(objective_id: str, body: CheckInCreate, user: CurrentUser,
                   session: DbSession) -> CheckInRead:
    """Check in on the objective or one of its key results (its owner, or a manager): a
    confidence, a note and, for a manual key result, its new value."""
    objective = await okr_service.get_or_raise(session, objective_id)
    created = await check_ins_service.create(session, objective, author=user, data=body)
    return check_ins_service.to_read(created)


@router.get("/objectives/{objective_id}/check-ins", response_model=Page[CheckInRead])
async def list_check_ins(objective_id: str, _reader: SignedIn, session: DbSession,
                         limit: Limit = 50, cursor: Cursor = None) -> Page[CheckInRead]:
    """The objective's check-ins, newest first."""
    objective = await okr_service.get_or_raise(session, objective_id)
    rows, next_cursor = await check_ins_service.list_check_ins(session, objective, limit=limit,
                                                               cursor=cursor)
    return Page(items=[check_ins_service.to_read(c) for c in rows], next_cursor=next_cursor)
