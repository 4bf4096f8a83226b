"""Trailing-slash redirects that never repeat the request's ``Host``."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import Receive, Scope, Send


class SlashRedirect:
    """The router's fallback: a path that names a route once a trailing slash is added or
    removed is redirected there, by a relative ``Location`` (Starlette's own redirect is
    built from the ``Host`` header); anything else is the router's 404."""

    def __init__(self, router: Router) -> None:
        self._router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        location = self._location(scope) if scope["type"] == "http" else None
        if location is None:
            await self._router.not_found(scope, receive, send)
            return
        await RedirectResponse(location)(scope, receive, send)

    def _location(self, scope: Scope) -> str | None:
        path: str = scope["path"]
        other = path.rstrip("/") if path.endswith("/") else path + "/"
        # "//host" would be read as another origin.
        if not other.startswith("/") or other.startswith("//"):
            return None
        if not any(route.matches({**scope, "path": other})[0] is not Match.NONE
                   for route in self._router.routes):
            return None
        query = scope.get("query_string", b"").decode("latin-1")
        return quote(other) + (f"?{query}" if query else "")
