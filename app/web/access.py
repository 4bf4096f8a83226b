"""Who may see a page: dependencies for page routes (``PageRoute`` enforces them).

``MarketerPage`` (and its siblings) give the signed-in user whose role opens the page. A
visitor gets the login form instead (200, CONTRACT §8), a signed-in user without the role
the 403 page with no data. Like the API's ``Access``, the gate is checked by the route
before anything reads the request's body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from app.models import User
from app.models.enums import Role
from app.web.viewer import Viewer


class LoginRequired(Exception):
    """A visitor asked for a page that needs a signed-in user: show the login form."""


class PageForbidden(Exception):
    """The signed-in user's role does not open this page."""


class FormRefused(Exception):
    """An unsafe request without our token, or from another site: nothing is changed."""


def viewer_of(request: Request) -> Viewer:
    viewer = getattr(request.state, "viewer", None)
    if not isinstance(viewer, Viewer):
        raise RuntimeError("page dependencies need a route of app.web.routing.page_router()")
    return viewer


def page_role_of(call: object) -> Role | None:
    role = getattr(call, "chorus_page_role", None)
    return role if isinstance(role, Role) else None


def role_gate(role: Role) -> Callable[[Request], Awaitable[User]]:
    """A dependency giving the signed-in user when their role includes ``role``."""

    async def gate(request: Request) -> User:
        user = viewer_of(request).user
        if user is None:  # PageRoute has refused it already; this keeps the type honest
            raise LoginRequired()
        return user

    gate.chorus_page_role = role  # type: ignore[attr-defined]
    return gate


async def _viewer(request: Request) -> Viewer:
    return viewer_of(request)


CurrentViewer = Annotated[Viewer, Depends(_viewer)]
"""Whoever is looking, signed in or not, and their language and form token."""
SignedInPage = Annotated[User, Depends(role_gate(Role.advocate))]
"""Any signed-in user (every role opens /app)."""
MarketerPage = Annotated[User, Depends(role_gate(Role.marketer))]
"""Marketers and admins (/console)."""
ManagerPage = Annotated[User, Depends(role_gate(Role.manager))]
"""Managers and admins (/dashboard)."""
AdminPage = Annotated[User, Depends(role_gate(Role.admin))]
