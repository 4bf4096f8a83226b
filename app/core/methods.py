"""``OPTIONS``, ``HEAD`` and 405 answered from every route at a path.

The router stops at the first route whose path matches, so its 405 names that one route's
methods, and FastAPI's routes answer neither ``OPTIONS`` nor ``HEAD``. Here every route at the
path counts: ``OPTIONS`` is 204 with their methods in ``Allow`` (with ``HEAD`` where there is
``GET``, and ``OPTIONS``); ``HEAD`` is the ``GET`` without its body; a 405 names them all. A
path no route matches is left to the router (404), and so is a path whose route answers
``OPTIONS`` or ``HEAD`` itself (the conversion endpoint's CORS preflight, tracked links).
No CORS headers are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import fastapi.routing
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _flat(routes: Sequence[BaseRoute]) -> Iterable[Any]:
    """Every route, inside included routers too (newer FastAPI nests them)."""
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    return routes if walk is None else walk(routes)


def allow_header(methods: set[str]) -> str:
    extra = {"OPTIONS", "HEAD"} if "GET" in methods else {"OPTIONS"}
    return ", ".join(sorted(methods | extra))


class AllowedMethods:
    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app = app
        self._router = router

    def methods(self, scope: Scope) -> set[str]:
        """The methods of every route whose path matches the request's."""
        found: set[str] = set()
        for route in _flat(self._router.routes):
            methods = getattr(route, "methods", None)
            if methods and route.matches(scope)[0] is not Match.NONE:
                found |= methods
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method in ("OPTIONS", "HEAD"):
            methods = self.methods(scope)
            if methods and method not in methods:
                if method == "OPTIONS":
                    response = Response(status_code=204, headers={"Allow": allow_header(methods)})
                    await response(scope, receive, send)
                    return
                if "GET" in methods:
                    as_get = {**scope, "method": "GET"}
                    await self.app(as_get, receive, _without_body(send))
                    if "route" in as_get:  # what the router found, for the metrics
                        scope["route"] = as_get["route"]
                    return
        # A copy: routing adds to the scope (a mount moves its root_path).
        await self.app(scope, receive, self._naming_every_method(dict(scope), send))

    def _naming_every_method(self, request: Scope, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = self.methods(request)
                if methods:
                    MutableHeaders(scope=message)["Allow"] = allow_header(methods)
            await send(message)

        return wrapped


def _without_body(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return wrapped
