"""Build every route's request handling before the first request, not during it.

FastAPI works out an included router's routes (their dependencies, parameter models and
body limits) the first time a request is matched against them, holding the event loop for
seconds on an app of this size: every redirect that arrives meanwhile waits (issue 13
measured 2.2 s behind the first API request after a start). The app's lifespan calls
:func:`warm_routes` instead, before the server takes requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def warm_routes(routes: Iterable[Any]) -> int:
    """Build the routes of every included router, nested ones too; how many were built.

    FastAPI has no public call for this: its included routers are asked for their routes
    as a request would ask, and a FastAPI without them has nothing to warm."""
    built = 0
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if not callable(candidates):
            continue
        nested = candidates()
        built += len(nested)
        low = getattr(route, "effective_low_priority_routes", None)
        if callable(low):
            built += len(low())
        built += warm_routes(nested)
    return built
