"""Where each role may go: the header's links and the start page ``/`` sends them to."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.access import has_role
from app.models import User
from app.models.enums import Role
from app.web.i18n import N_


@dataclass(frozen=True)
class Area:
    path: str
    label: str
    role: Role


# In the header's order; the start page is the last (most specific) one a role opens.
AREAS = (
    Area("/app", N_("App"), Role.advocate),
    Area("/console", N_("Console"), Role.marketer),
    Area("/dashboard", N_("Dashboard"), Role.manager),
)
VISITOR_START = "/app"


def opens(user: User, area: Area) -> bool:
    return has_role(Role(user.role), area.role)


def areas_for(user: User | None) -> list[Area]:
    return [area for area in AREAS if user is not None and opens(user, area)]


def start_page(user: User | None) -> str:
    """The first of /dashboard, /console, /app that the user's role opens (CONTRACT §8)."""
    areas = areas_for(user)
    return areas[-1].path if areas else VISITOR_START


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site, else ``/``: never another origin.

    ``//host`` and ``/\\host`` are other origins to a browser, which also drops tabs and
    newlines from URLs, so no control character or backslash is let through.
    """
    if not value or not value.startswith("/") or len(value) > 2048:
        return "/"
    if value.startswith("//") or "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F
                                                      for c in value):
        return "/"
    return value
