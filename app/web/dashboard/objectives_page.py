"""/dashboard/objectives: every objective read as ``GET /api/v1/objectives`` reads it (scored
once ended, each key result with its weekly history and latest confidence), with a check-in
form each, and the editor for a new one; and the page editing (or deleting) one."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import ObjectiveRead
from app.models import Objective, Pilot, User
from app.web.dashboard.okr_forms import (
    CONFIDENCE_LABELS,
    CheckInForm,
    ObjectiveForm,
    Problem,
    blank,
    edit_form,
)

PAGE_SIZE = 20


@dataclass(frozen=True)
class ObjectivesView:
    objectives: list[ObjectiveRead]
    owners: dict[str, str]  # user id → name
    pilots: dict[str, str]  # pilot id → name
    editor: ObjectiveForm
    check_ins: dict[str, CheckInForm]  # by objective id: one typed with a mistake
    next_href: str | None
    first_page: bool
    confidences: dict[str, str] = field(default_factory=lambda: {
        c.value: label for c, label in CONFIDENCE_LABELS.items()})

    def check_in_form(self, objective_id: str) -> CheckInForm:
        return self.check_ins.get(objective_id) or CheckInForm()


async def _names(session: AsyncSession, model: type[User] | type[Pilot],
                 ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict((await session.execute(
        select(model.id, model.name).where(model.id.in_(ids)))).all())


async def objectives_view(session: AsyncSession, *, cursor: str | None, viewer: User,
                          editor: ObjectiveForm | None = None,
                          check_ins: dict[str, CheckInForm] | None = None) -> ObjectivesView:
    objectives, next_cursor = await okr_service.list_objectives(session, limit=PAGE_SIZE,
                                                                cursor=cursor)
    reads = await okr_service.to_read(session, objectives)
    return ObjectivesView(
        objectives=reads,
        owners=await _names(session, User, {o.owner_id for o in reads if o.owner_id}),
        pilots=await _names(session, Pilot, {o.pilot_id for o in reads if o.pilot_id}),
        editor=editor or await blank(session, owner_id=viewer.id),
        check_ins=check_ins or {},
        next_href=("/dashboard/objectives?" + urlencode({"cursor": next_cursor})
                   if next_cursor else None),
        first_page=cursor is None)


@dataclass(frozen=True)
class EditView:
    """/dashboard/objectives/{id}/edit: the objective's editor, and the form to delete it."""

    objective_id: str
    title: str  # as stored, for the heading, whatever was typed
    editor: ObjectiveForm
    delete_errors: dict[str, Problem] = field(default_factory=dict)


async def edit_view(session: AsyncSession, objective: Objective, *,
                    editor: ObjectiveForm | None = None,
                    delete_problem: Problem | None = None) -> EditView:
    return EditView(
        objective_id=objective.id, title=objective.title,
        editor=editor or await edit_form(session, objective),
        delete_errors={"confirm": delete_problem} if delete_problem else {})
