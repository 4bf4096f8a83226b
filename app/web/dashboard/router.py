"""/dashboard for managers and admins: the pilots, and each pilot's KPIs (CONTRACT §6, §8)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse

from app.core.routing import DbSession
from app.web.access import ManagerPage
from app.web.dashboard import formats, new_pilot, pilots, report
from app.web.dashboard.definitions import RANGE_RULE
from app.web.forms import PageForm
from app.web.routing import page_router
from app.web.templating import render

router = page_router()
From = Annotated[str | None, Query(alias="from", max_length=32)]
Text = Annotated[str | None, Query(max_length=32)]
Cursor = Annotated[str | None, Query(max_length=512)]


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
    # A relative Location: the Host header never decides where a browser goes next.
    return RedirectResponse(f"/dashboard/pilots/{result.id}", status_code=303)


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
