"""Tracked links: ``GET``/``HEAD /s/{code}`` (never rate-limited, no authentication)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.tracking import service as tracking_service

router = APIRouter(tags=["tracked links"])
TRACKED_LINK_ROUTE = SimpleNamespace(path="/s/{code}")


_RESPONSES: dict[int | str, dict[str, Any]] = {
    302: {"description": "To the post's URL with UTM and click-id parameters."},
    404: {"description": "Unknown code (an HTML page).", "content": {"text/html": {}}},
}


@router.get("/s/{code}", response_class=Response, status_code=302, responses=_RESPONSES)
async def follow(code: str, request: Request) -> Response:
    """Follow a tracked link: a 302 to the post, recorded as a click before it is sent."""
    return await _follow(code, request)


@router.head("/s/{code}", response_class=Response, status_code=302, responses=_RESPONSES)
async def peek(code: str, request: Request) -> Response:
    """The same headers as GET; nothing is recorded."""
    return await _follow(code, request)


async def _follow(code: str, request: Request) -> Response:
    state = request.app.state
    return await tracking_service.follow(
        request, code, click_param=state.settings.click_param, recorder=state.clicks,
        visitors=state.visitors, targets=state.targets,
    )


class TrackedLinkMiddleware:
    """Answers ``/s/{code}`` before FastAPI's router walks every API route: the redirect is
    the hottest path of all. The routes above document it and give the same answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] == "http" and path.startswith("/s/")
                and scope["method"] in ("GET", "HEAD") and "/" not in path[3:]):
            scope["route"] = TRACKED_LINK_ROUTE  # for the metrics' route label
            response = await _follow(path[3:], Request(scope, receive))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
