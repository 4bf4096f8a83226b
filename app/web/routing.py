"""``PageRoute``: the pages' counterpart of the API's ``ChorusRoute``.

Each page request runs in one database session. Before the endpoint (and before anything
reads the body) the route resolves the viewer from the session cookie, refuses unsafe
requests from another site or without the viewer's CSRF token, and applies the page's role
gate. It commits when the answer is a success, and turns errors into pages (login form,
403, refused form, 404, 500) rather than problem+json.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from app.auth.access import has_role
from app.core.clock import utcnow
from app.core.db import run_after_commit
from app.core.routing import check_storable
from app.models.enums import Role
from app.web import csrf
from app.web.access import FormRefused, LoginRequired, PageForbidden, page_role_of
from app.web.error_pages import page_for
from app.web.forms import read_form
from app.web.viewer import Viewer, resolve

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _roles(dependant: Dependant) -> Iterator[Role]:
    for dep in dependant.dependencies:
        role = page_role_of(dep.call)
        if role is not None:
            yield role
        yield from _roles(dep)


async def check_form(request: Request, viewer: Viewer) -> None:
    """Refuse an unsafe request from another site, or without this viewer's token (in the
    ``csrf_token`` field or the ``X-CSRF-Token`` header)."""
    if csrf.is_foreign(request, request.app.state.settings.base_url):
        raise FormRefused("cross-site request")
    presented = request.headers.get(csrf.HEADER)
    if presented is None:
        field = (await read_form(request)).get(csrf.FORM_FIELD)
        presented = field if isinstance(field, str) else None
    if not csrf.matches(viewer.csrf_token, presented):
        raise FormRefused("missing or wrong CSRF token")


def gate(viewer: Viewer, roles: tuple[Role, ...]) -> None:
    if not roles:
        return
    if viewer.user is None:
        raise LoginRequired()
    if not all(has_role(Role(viewer.user.role), role) for role in roles):
        raise PageForbidden()


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = super().get_route_handler()
        roles = tuple(_roles(self.dependant))

        async def handle(request: Request) -> Response:
            state = request.app.state
            async with state.db.sessionmaker() as session:
                request.state.session = session
                request.state.principal = None
                viewer = await resolve(session, request, await state.secret_key(session))
                request.state.viewer = viewer
                committed = False
                try:
                    if request.method not in SAFE_METHODS:
                        await check_form(request, viewer)
                    gate(viewer, roles)
                    check_storable(request)
                    if viewer.user is not None:
                        await state.visitors.note_advocate(
                            session, user_id=viewer.user.id, now=utcnow(),
                            address=request.client.host if request.client else None,
                            user_agent=request.headers.get("user-agent"))
                    response = await endpoint(request)
                    if response.status_code < 400:
                        await session.commit()
                        committed = True
                except Exception as exc:  # every failure of a page is answered by a page
                    response = page_for(request, exc)
                if committed:
                    await run_after_commit(session)
                viewer.finish(response, secure=state.settings.secure_cookies)
                return response

        return handle


def page_router(**kwargs: Any) -> APIRouter:
    """A router for pages: HTML answers, out of the OpenAPI document, run by ``PageRoute``."""
    kwargs.setdefault("default_response_class", HTMLResponse)
    return APIRouter(route_class=PageRoute, include_in_schema=False, **kwargs)
