"""The app's API routes, for tests that must cover every one of them."""

from __future__ import annotations

from collections.abc import Iterator

import fastapi.routing
from fastapi import FastAPI
from fastapi.routing import APIRoute


def iter_api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path (older FastAPI lists them in ``app.routes``; newer
    FastAPI lists included routers, expanded by ``iter_route_contexts``)."""
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    if walk is None:
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, route
        return
    for context in walk(app.routes):
        original = context.original_route
        if isinstance(original, APIRoute):
            yield context.path or original.path, original
