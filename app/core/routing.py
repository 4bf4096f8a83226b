"""``ChorusRoute``: one unit of work per request, authorization before parsing.

Every API route runs inside ``handle``: it opens the request's session, resolves the caller,
enforces the route's ``Access`` (before anything in the address or the body is checked), runs
the endpoint, commits when the response is a success and only then runs the work queued with
``after_commit``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.access import Access, access_of
from app.auth.principal import authenticate
from app.core.clock import utcnow
from app.core.db import run_after_commit
from app.core.errors import Invalid, NotFound
from app.core.schemas import storable

log = logging.getLogger("chorus.routing")

def _accesses(dependant: Dependant) -> Iterator[Access]:
    for dep in dependant.dependencies:
        access = access_of(dep.call)
        if access is not None:
            yield access
        yield from _accesses(dep)


def check_storable(request: Request) -> None:
    """Text no database can store, in the address: after the access check, so that a caller
    who may not use the route learns nothing more than 401 or 403 (CONTRACT §2)."""
    if not all(storable(v) for v in request.path_params.values()):
        # No stored id holds such text: the contract's 404 for an unknown id.
        raise NotFound("No resource at this address.")
    for name, value in request.query_params.multi_items():
        if not storable(value):
            raise Invalid(f"The query parameter {name} holds a NUL character or "
                          "invalid Unicode.", loc=["query", name])


class ChorusRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = super().get_route_handler()
        accesses = tuple(_accesses(self.dependant))

        async def handle(request: Request) -> Response:
            state = request.app.state
            async with state.db.sessionmaker() as session:
                request.state.session = session
                request.state.principal = None
                if accesses:
                    secret = await state.secret_key(session)
                    principal = await authenticate(session, request, secret)
                    for access in accesses:
                        access.enforce(principal, request.method)
                    request.state.principal = principal
                    if principal is not None and principal.user is not None:
                        await state.visitors.note_advocate(
                            session, user_id=principal.user.id, now=utcnow(),
                            address=request.client.host if request.client else None,
                            user_agent=request.headers.get("user-agent"))
                check_storable(request)
                response = await endpoint(request)
                if response.status_code < 400:
                    await session.commit()
                    await run_after_commit(session)
                return response

        return handle


def _session(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.session
    return session


DbSession = Annotated[AsyncSession, Depends(_session)]
