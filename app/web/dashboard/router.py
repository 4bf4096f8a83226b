"""/dashboard for managers and admins: the pilots, each pilot's KPIs and the organisation's
(CONTRACT §6, §8), the report schedules, and the objectives with their editor and check-ins."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.analytics.okr import service as okr_service
from app.analytics.pilots import service as pilots_service
from app.core.routing import DbSession
from app.models import Objective, User
from app.web.access import ManagerPage
from app.web.dashboard import (
    formats,
    new_pilot,
    objectives_page,
    okr_forms,
    organisation,
    pilots,
    report,
    schedules,
)
from app.web.dashboard.definitions import RANGE_RULE
from app.web.forms import PageForm
from app.web.routing import page_router
from app.web.templating import render

router = page_router()
From = Annotated[str | None, Query(alias="from", max_length=32)]
Text = Annotated[str | None, Query(max_length=32)]
Cursor = Annotated[str | None, Query(max_length=512)]
GroupId = Annotated[str | None, Query(max_length=64)]


def _see_other(url: str) -> RedirectResponse:
    # A relative Location: the Host header never decides where a browser goes next.
    return RedirectResponse(url, status_code=303)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip()[:64] if isinstance(value, str) else ""


def _kept(form: FormData, *names: str) -> str:
    """The page's own choices (range, metric, group) a form carried back, as a query."""
    query = urlencode({n: v for n in names if (v := _field(form, n))})
    return "?" + query if query else ""


@router.get("/dashboard")
async def pilot_list(request: Request, _manager: ManagerPage, session: DbSession,
                     cursor: Cursor = None) -> Response:
    """The pilots, newest first, to pick one."""
    listing = await pilots.pilot_list(session, cursor=cursor)
    return render(request, "dashboard/index.html", {"listing": listing})


@router.get("/dashboard/pilots/new")
async def new_pilot_form(request: Request, _manager: ManagerPage,
                         session: DbSession) -> Response:
    """The form to start a pilot."""
    return render(request, "dashboard/new_pilot.html",
                  {"form": await new_pilot.blank(session)})


@router.post("/dashboard/pilots")
async def create_pilot(request: Request, form: PageForm, _manager: ManagerPage,
                       session: DbSession) -> Response:
    """Start a pilot, then show it; a mistake shows the form again with what to fix."""
    result = await new_pilot.submit(session, form)
    if isinstance(result, new_pilot.PilotForm):
        return render(request, "dashboard/new_pilot.html", {"form": result}, status=422)
    return _see_other(f"/dashboard/pilots/{result.id}")


@router.get("/dashboard/pilots/{pilot_id}")
async def pilot_page(request: Request, pilot_id: str, _manager: ManagerPage,
                     session: DbSession, from_: From = None, to: Text = None,
                     metric: Text = None, feedback: Cursor = None) -> Response:
    """A pilot's KPIs over the chosen range, with charts, objectives and feedback."""
    view = await report.pilot_view(session, pilot_id=pilot_id, raw_from=from_, raw_to=to,
                                   metric=metric, feedback_cursor=feedback)
    return render(request, "dashboard/pilot.html",
                  {"view": view, "fmt": formats, "range_rule": RANGE_RULE},
                  status=422 if view.range.error else 200)


@router.post("/dashboard/pilots/{pilot_id}/report-schedules")
async def create_pilot_schedule(request: Request, pilot_id: str, form: PageForm,
                                manager: ManagerPage, session: DbSession) -> Response:
    """Email the pilot's (or the organisation's) report; a mistake shows the page again."""
    await pilots_service.get_or_raise(session, pilot_id)
    problem = await schedules.submit(session, form, pilot_id=pilot_id, creator=manager)
    if problem is None:
        return _see_other(f"/dashboard/pilots/{pilot_id}{_kept(form, 'from', 'to', 'metric')}"
                          "#reports")
    view = await report.pilot_view(session, pilot_id=pilot_id, raw_from=_field(form, "from"),
                                   raw_to=_field(form, "to"), metric=_field(form, "metric"),
                                   feedback_cursor=None, schedule_form=problem)
    return render(request, "dashboard/pilot.html",
                  {"view": view, "fmt": formats, "range_rule": RANGE_RULE}, status=422)


@router.post("/dashboard/pilots/{pilot_id}/report-schedules/{schedule_id}/delete")
async def delete_pilot_schedule(pilot_id: str, schedule_id: str, form: PageForm,
                                _manager: ManagerPage, session: DbSession) -> Response:
    """Stop sending a report."""
    await pilots_service.get_or_raise(session, pilot_id)
    await schedules.delete(session, schedule_id)
    return _see_other(f"/dashboard/pilots/{pilot_id}{_kept(form, 'from', 'to', 'metric')}"
                      "#reports")


# The organisation


async def _organisation_page(request: Request, session: AsyncSession, *, raw_from: str | None,
                             raw_to: str | None, group_id: str | None, metric: str | None,
                             schedule_form: schedules.ScheduleForm | None = None,
                             status: int | None = None) -> Response:
    view = await organisation.organisation_view(
        session, raw_from=raw_from, raw_to=raw_to, group_id=group_id, metric=metric,
        schedule_form=schedule_form)
    return render(request, "dashboard/organisation.html",
                  {"view": view, "fmt": formats, "range_rule": RANGE_RULE},
                  status=status or (422 if view.error else 200))


@router.get("/dashboard/organisation")
async def organisation_page(request: Request, _manager: ManagerPage, session: DbSession,
                            from_: From = None, to: Text = None, group_id: GroupId = None,
                            metric: Text = None) -> Response:
    """The organisation's KPIs (or one group's) over a range, by default the last four full
    weeks."""
    return await _organisation_page(request, session, raw_from=from_, raw_to=to,
                                    group_id=group_id, metric=metric)


@router.post("/dashboard/organisation/report-schedules")
async def create_organisation_schedule(request: Request, form: PageForm, manager: ManagerPage,
                                       session: DbSession) -> Response:
    """Email the organisation's report; a mistake shows the page again."""
    problem = await schedules.submit(session, form, pilot_id=None, creator=manager)
    if problem is None:
        return _see_other(organisation.PATH
                          + _kept(form, "from", "to", "group_id", "metric") + "#reports")
    return await _organisation_page(
        request, session, raw_from=_field(form, "from"), raw_to=_field(form, "to"),
        group_id=_field(form, "group_id"), metric=_field(form, "metric"),
        schedule_form=problem, status=422)


@router.post("/dashboard/organisation/report-schedules/{schedule_id}/delete")
async def delete_organisation_schedule(schedule_id: str, form: PageForm,
                                       _manager: ManagerPage, session: DbSession) -> Response:
    """Stop sending a report."""
    await schedules.delete(session, schedule_id)
    return _see_other(organisation.PATH
                      + _kept(form, "from", "to", "group_id", "metric") + "#reports")


# Objectives


async def _objectives_page(request: Request, session: AsyncSession, viewer: User, *,
                           cursor: str | None = None,
                           editor: okr_forms.ObjectiveForm | None = None,
                           check_ins: dict[str, okr_forms.CheckInForm] | None = None,
                           status: int = 200) -> Response:
    view = await objectives_page.objectives_view(session, cursor=cursor, viewer=viewer,
                                                 editor=editor, check_ins=check_ins)
    return render(request, "dashboard/objectives.html", {"view": view, "fmt": formats},
                  status=status)


@router.get("/dashboard/objectives")
async def objectives(request: Request, manager: ManagerPage, session: DbSession,
                     cursor: Cursor = None) -> Response:
    """Every objective, newest first, with check-ins; and the editor for a new one."""
    return await _objectives_page(request, session, manager, cursor=cursor)


@router.post("/dashboard/objectives")
async def create_objective(request: Request, form: PageForm, manager: ManagerPage,
                           session: DbSession) -> Response:
    """Create an objective, then show it; a mistake shows the editor again with what to fix."""
    result = await okr_forms.submit_objective(session, form, creator=manager)
    if isinstance(result, okr_forms.ObjectiveForm):
        return await _objectives_page(request, session, manager, editor=result, status=422)
    return _see_other(f"/dashboard/objectives#objective-{result.id}")


@router.post("/dashboard/objectives/{objective_id}/check-ins")
async def check_in(request: Request, objective_id: str, form: PageForm, manager: ManagerPage,
                   session: DbSession) -> Response:
    """Check in on an objective or one of its key results."""
    objective = await okr_service.get_or_raise(session, objective_id)
    problem = await okr_forms.submit_check_in(session, objective, form, author=manager)
    if problem is not None:
        return await _objectives_page(request, session, manager,
                                      check_ins={objective.id: problem}, status=422)
    return _see_other(f"/dashboard/objectives#objective-{objective.id}")


async def _edit_page(request: Request, session: AsyncSession, objective: Objective, *,
                     editor: okr_forms.ObjectiveForm | None = None,
                     delete_problem: okr_forms.Problem | None = None,
                     status: int = 200) -> Response:
    view = await objectives_page.edit_view(session, objective, editor=editor,
                                           delete_problem=delete_problem)
    return render(request, "dashboard/objective_edit.html", {"view": view, "fmt": formats},
                  status=status)


@router.get("/dashboard/objectives/{objective_id}/edit")
async def edit_objective_form(request: Request, objective_id: str, _manager: ManagerPage,
                              session: DbSession) -> Response:
    """The editor filled with the objective, and the form to delete it."""
    objective = await okr_service.get_or_raise(session, objective_id)
    return await _edit_page(request, session, objective)


@router.post("/dashboard/objectives/{objective_id}")
async def update_objective(request: Request, objective_id: str, form: PageForm,
                           _manager: ManagerPage, session: DbSession) -> Response:
    """Save the objective, then show it; a mistake shows the editor again with what to fix
    (409 when the objective is scored and the change touches what its score stands on)."""
    objective = await okr_service.get_or_raise(session, objective_id)
    result = await okr_forms.submit_update(session, objective, form)
    if isinstance(result, okr_forms.ObjectiveForm):
        return await _edit_page(request, session, objective, editor=result,
                                status=409 if result.conflict else 422)
    return _see_other(f"/dashboard/objectives#objective-{result.id}")


@router.post("/dashboard/objectives/{objective_id}/delete")
async def delete_objective(request: Request, objective_id: str, form: PageForm,
                           _manager: ManagerPage, session: DbSession) -> Response:
    """Delete the objective once confirmed, with its key results and check-ins."""
    objective = await okr_service.get_or_raise(session, objective_id)
    problem = await okr_forms.submit_delete(session, objective, form)
    if problem is not None:
        return await _edit_page(request, session, objective, delete_problem=problem,
                                status=422)
    return _see_other("/dashboard/objectives")
