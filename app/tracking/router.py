"""Tracked links: ``GET``/``HEAD /s/{code}`` (never rate-limited, no authentication)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from app.tracking import service as tracking_service

router = APIRouter(tags=["tracked links"])


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
        visitors=state.visitors, db=state.db,
    )
